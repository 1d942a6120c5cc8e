"""Preview pictures of templates, drawn once with the engine's card renderer and then stored."""

import tempfile
from pathlib import Path

from ..ai_services.media import render_card
from ..ai_services.styles import get_style
from ..ai_services.types import FrameSize
from ..models import VideoTemplate
from . import files

PREVIEW_FRAME = FrameSize(480, 270)
# Each built-in category gets a look of its own, so the choices are told apart at a glance.
CATEGORY_STYLES = {"PROMO": "bold", "EDUC": "modern", "CORP": "minimal", "SOCL": "warm",
                   "NEWS": "tech", "STORY": "nature"}  # fmt: skip


def ensure_preview(template: VideoTemplate) -> VideoTemplate:
    if template.preview_image:
        return template
    style = get_style(CATEGORY_STYLES.get(template.category) or None)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{template.slug}.png"
        render_card(title=template.name, subtitle=template.get_category_display(), style=style,
                    frame=PREVIEW_FRAME, out_path=path)  # fmt: skip
        files.store(template.preview_image, path, path.name)
    template.save(update_fields=["preview_image"])
    return template
