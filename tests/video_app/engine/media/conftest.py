"""Helpers for the picture tests: frame sizes and a scene's media request."""

import pytest

from video_app.engine.core.styles import get_style
from video_app.engine.core.types import FrameSize
from video_app.engine.media import (
    MediaRequest,
)

LANDSCAPE = FrameSize(960, 540)


PORTRAIT = FrameSize(540, 960)


SQUARE = FrameSize(640, 640)


FRAMES = pytest.mark.parametrize(
    "frame", [LANDSCAPE, PORTRAIT, SQUARE], ids=["landscape", "portrait", "square"]
)


def scene(
    *,
    keywords=("Ocean currents", "climate", "heat"),
    style="modern",
    frame=LANDSCAPE,
    index=0,
    language="en",
    description="Waves rolling over a coral reef",
    narration="The ocean moves heat around the planet.",
) -> MediaRequest:
    return MediaRequest(
        scene_index=index,
        keywords=tuple(keywords),
        visual_description=description,
        narration=narration,
        style=get_style(style),
        frame=frame,
        language=language,
    )
