"""Pictures for scenes: the media providers on offer (designed pictures: test_designed.py; the
user's library: test_library.py)."""

from pathlib import Path

from tests.video_app.engine.media.conftest import scene
from video_app.engine.media import media_providers


def test_it_offers_the_illustrated_pictures_by_default():
    assert media_providers.get().name == "illustrated"
    assert {"library", "procedural", "illustrated"} <= set(media_providers.names())
    assert media_providers.get("library").find(scene(), Path("/nonexistent")) is None
