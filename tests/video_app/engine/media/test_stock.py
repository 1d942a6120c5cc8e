"""Stock photos and clips from Pexels and Pixabay, against recorded exchanges shaped like their
APIs (tests/recordings/pexels, pixabay): what is chosen, what is downloaded, what the creator is
told when a service misbehaves, and that nothing is paid for twice."""

import os
import time

import pytest
from PIL import Image

from tests.video_app.engine.recordings import replay
from video_app.engine.core.errors import ProviderFailed, ProviderRefused
from video_app.engine.core.styles import get_style
from video_app.engine.core.types import FrameSize
from video_app.engine.media import MediaRequest, find_media, media_providers, stock

# What the renderer asks for: the video's frame with 1.2x room for Ken Burns motion.
LANDSCAPE = FrameSize(1152, 648)  # a 960x540 video
PORTRAIT = FrameSize(648, 1152)  # a 540x960 video
FULL_HD = FrameSize(2304, 1296)  # a 1920x1080 video


def scene(
    *, keywords=("Ocean currents", "climate", "heat"), frame=LANDSCAPE, variant=0
) -> MediaRequest:
    return MediaRequest(
        scene_index=2,
        keywords=tuple(keywords),
        visual_description="Waves rolling over a coral reef",
        narration="The ocean moves heat around the planet.",
        style=get_style("modern"),
        frame=frame,
        variant=variant,
    )


@pytest.fixture
def services(settings, httpserver, tmp_path):
    """Pexels and Pixabay at the replay server with test keys; caches in this test's folder."""
    settings.PEXELS_API_KEY = "test-pexels-key"
    settings.PEXELS_BASE_URL = httpserver.url_for("")
    settings.PIXABAY_API_KEY = "test-pixabay-key"
    settings.PIXABAY_BASE_URL = httpserver.url_for("")
    settings.RENDER_CACHE_DIR = tmp_path / "cache"
    settings.PROVIDER_TIMEOUT_S = 5
    return httpserver


def pexels():
    return media_providers.get("pexels")


def pixabay():
    return media_providers.get("pixabay")


def decoded_size(path):
    with Image.open(path) as image:
        image.load()
        return image.size


# --- Pexels -------------------------------------------------------------------------------------


def test_it_takes_the_pexels_photo_closest_in_shape_at_the_smallest_sharp_rendition(
    services, tmp_path, calls
):
    replay(services, "pexels/photos_search", "pexels/photo_download")

    item = pexels().find(scene(), tmp_path / "out")

    # The 3:2 photo beats the 4:3 one listed first; its 1880x1253 large2x covers the frame.
    assert (item.kind, item.source, item.query) == ("image", "pexels", "Ocean currents climate")
    assert item.extra["id"] == "1002" and item.extra["rendition"] == "large2x"
    assert (item.width, item.height) == (1880, 1253) == decoded_size(item.path)
    assert item.path.parent == tmp_path / "out" and item.path.suffix == ".jpg"
    assert item.attribution == "Photo by Tom Reyes on Pexels"
    assert item.licence == "Pexels License"
    assert item.extra["page_url"] == "https://www.pexels.com/photo/turquoise-sea-over-a-reef-1002/"
    search, download = (request for request, _ in services.log)
    assert search.args["orientation"] == "landscape" and search.args["size"] == "small"
    assert search.headers["Authorization"] == "test-pexels-key"
    assert "Authorization" not in download.headers  # the key stays with the API
    assert [(c.provider, c.units, c.unit, c.outcome) for c in calls] == [
        ("Pexels", 1, "requests", "ok"),
        ("Pexels", 1, "downloads", "ok"),
    ]
    services.check_assertions()


def test_it_offers_the_next_photo_when_the_scene_is_regenerated(services, tmp_path):
    replay(services, "pexels/photos_search", "pexels/photo_download_other")

    item = pexels().find(scene(variant=1), tmp_path)

    assert item.extra["id"] == "1001"
    assert item.attribution == "Photo by Ana Silva on Pexels"
    services.check_assertions()


def test_it_finds_a_pexels_clip_when_no_photo_is_found(services, tmp_path):
    replay(services, "pexels/clips_search", "pexels/clip_download")

    item = pexels().find(scene(keywords=["City timelapse"], frame=PORTRAIT), tmp_path)

    # The video frame is 540x960: the 720x1280 file is the smallest that covers it.
    assert (item.kind, item.width, item.height) == ("video", 720, 1280)
    assert item.duration_s == pytest.approx(1.0)
    assert item.path.suffix == ".mp4"
    assert item.attribution == "Video by Kai Moreno on Pexels"
    assert item.extra["author_url"] == "https://www.pexels.com/@kai-moreno"
    photos, videos, _ = (request for request, _ in services.log)
    assert photos.args["orientation"] == videos.args["orientation"] == "portrait"
    services.check_assertions()


def test_it_pays_for_a_search_and_a_download_only_once(services, tmp_path, calls):
    replay(services, "pexels/photos_search", "pexels/photo_download")
    first = pexels().find(scene(), tmp_path / "first")
    requests = len(services.log)

    again = pexels().find(scene(), tmp_path / "again")

    assert len(services.log) == requests == 2
    assert again.path.read_bytes() == first.path.read_bytes()
    assert (again.width, again.height, again.attribution) == (1880, 1253, first.attribution)
    assert len(calls) == 2


def test_it_waits_as_long_as_pexels_asks_when_rate_limited(services, tmp_path, waits):
    replay(services, "pexels/rate_limited", "pexels/photos_search", "pexels/photo_download")

    item = pexels().find(scene(), tmp_path)

    assert item.extra["id"] == "1002"
    assert waits == [3.0]
    services.check_assertions()


def test_it_gives_up_on_pexels_when_it_keeps_failing(services, tmp_path, waits, calls):
    replay(services, "pexels/unavailable")

    with pytest.raises(ProviderFailed) as failure:
        pexels().find(scene(), tmp_path)

    assert failure.value.message == (
        "Pexels is not answering right now for scene 3. Try again in a few minutes."
    )
    assert not isinstance(failure.value, ProviderRefused)  # worth another try later
    assert len(services.log) == 4 and len(waits) == 3
    assert calls[-1].outcome == "error"


def test_it_draws_a_picture_with_the_reason_when_the_service_fails(
    services, settings, tmp_path, waits
):
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "media": "pexels"}
    replay(services, "pexels/unavailable")

    item = find_media(scene(), tmp_path)

    assert item.source == "procedural"
    assert item.extra["fallback_reason"] == (
        "Pexels is not answering right now for scene 3. Try again in a few minutes."
    )


def test_it_raises_the_failure_when_falling_back_is_not_allowed(
    services, settings, tmp_path, waits
):
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "media": "pexels"}
    replay(services, "pexels/unavailable")

    with pytest.raises(ProviderFailed, match="Pexels is not answering"):
        find_media(scene(), tmp_path, fallback=False)

    assert not list(tmp_path.iterdir())  # no picture drawn in its place


def test_it_draws_a_picture_without_a_reason_when_nothing_is_found(services, settings, tmp_path):
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "media": "pexels"}
    replay(services, "pexels/nothing_found")

    item = find_media(scene(keywords=["City timelapse"], frame=PORTRAIT), tmp_path, fallback=False)

    assert item.source == "procedural"
    assert "fallback_reason" not in item.extra
    services.check_assertions()


@pytest.mark.parametrize(
    ("recording", "detail"),
    [("pexels/not_json", "not JSON"), ("pexels/missing_fields", "no readable result")],
)
def test_it_reports_a_search_answer_it_cannot_read(services, tmp_path, recording, detail):
    replay(services, recording)

    with pytest.raises(ProviderFailed) as failure:
        pexels().find(scene(), tmp_path)

    assert failure.value.message == (
        "Pexels sent a search answer we could not read for scene 3. Try again in a few minutes."
    )
    assert detail in failure.value.detail
    assert not (tmp_path / "cache" / "providers" / "pexels" / "searches").exists()  # not kept


def test_it_refuses_a_downloaded_picture_that_does_not_decode(services, tmp_path):
    replay(services, "pexels/photos_search", "pexels/photo_download_truncated")

    with pytest.raises(ProviderFailed) as failure:
        pexels().find(scene(), tmp_path / "out")

    assert failure.value.message == (
        "The picture Pexels sent for scene 3 cannot be opened. Try again, or pick another picture."
    )
    assert "truncated" in failure.value.detail
    assert not (tmp_path / "out").exists()
    assert not list((tmp_path / "cache" / "providers" / "pexels" / "files").iterdir())


def test_it_refuses_a_download_over_the_size_limit_before_reading_it(
    services, tmp_path, monkeypatch
):
    monkeypatch.setattr(stock, "MAX_DOWNLOAD_BYTES", 10_000)  # the photo is 18 kB
    replay(services, "pexels/photos_search", "pexels/photo_download")

    with pytest.raises(ProviderFailed, match="The file Pexels offers for scene 3 is larger than"):
        pexels().find(scene(), tmp_path)


def test_it_stops_at_a_refused_pexels_key_and_never_shows_it(services, tmp_path, waits, calls):
    replay(services, "pexels/unauthorized")

    with pytest.raises(ProviderRefused) as refusal:
        pexels().find(scene(), tmp_path)

    assert refusal.value.message == (
        "Pexels refused our key for scene 3. Ask your administrator to check the API key."
    )
    assert "test-pexels-key" not in refusal.value.message + refusal.value.detail
    assert len(services.log) == 1 and waits == []
    assert calls[-1].outcome == "refused"


def test_it_names_the_setting_when_a_key_is_missing(services, settings, tmp_path):
    settings.PEXELS_API_KEY = ""

    with pytest.raises(ProviderFailed) as failure:
        pexels().find(scene(), tmp_path)

    assert "PEXELS_API_KEY" in failure.value.message
    assert services.log == []


# --- Pixabay ------------------------------------------------------------------------------------


def test_it_takes_the_pixabay_photo_at_its_large_rendition(services, tmp_path, calls):
    replay(services, "pixabay/photos_search", "pixabay/photo_download")

    item = pixabay().find(scene(), tmp_path)

    assert (item.kind, item.source, item.extra["rendition"]) == ("image", "pixabay", "large")
    assert (item.width, item.height) == (1280, 853) == decoded_size(item.path)
    assert item.attribution == "Image by reefdiver from Pixabay"
    assert item.licence == "Pixabay Content License"
    assert item.extra["page_url"] == "https://pixabay.com/photos/coral-reef-sea-ocean-3012/"
    assert item.extra["author_url"] == "https://pixabay.com/users/reefdiver-4281/"
    search, download = (request for request, _ in services.log)
    assert search.args["orientation"] == "horizontal" and search.args["image_type"] == "photo"
    assert "key" not in download.args
    assert [(c.provider, c.unit) for c in calls] == [
        ("Pixabay", "requests"),
        ("Pixabay", "downloads"),
    ]
    services.check_assertions()


def test_it_prefers_a_full_hd_pixabay_clip_to_an_upscaled_photo(services, tmp_path):
    # Without full API access Pixabay photos stop at 1280 px: too soft for a 1920x1080 video.
    replay(services, "pixabay/photos_search", "pixabay/videos_search", "pixabay/clip_download")

    item = pixabay().find(scene(frame=FULL_HD), tmp_path)

    assert (item.kind, item.width, item.height) == ("video", 1920, 1080)
    assert item.extra["rendition"] == "large"
    assert item.attribution == "Video by seafilms from Pixabay"
    services.check_assertions()


def test_it_searches_pixabay_again_after_a_day(services, tmp_path):
    replay(services, "pixabay/photos_search", "pixabay/photo_download", "pixabay/photos_search")
    pixabay().find(scene(), tmp_path)
    pixabay().find(scene(), tmp_path)  # cached
    [search] = (tmp_path / "cache" / "providers" / "pixabay" / "searches").iterdir()
    day_ago = time.time() - 24 * 60 * 60 - 1
    os.utime(search, (day_ago, day_ago))

    pixabay().find(scene(), tmp_path)

    assert len(services.log) == 3  # search, download; then the search again, not the download
    services.check_assertions()


def test_it_retries_pixabay_after_its_rate_limit_with_a_short_backoff(services, tmp_path, waits):
    # Pixabay's 429 has no Retry-After (its X-RateLimit-Reset is not read by the client).
    replay(services, "pixabay/rate_limited", "pixabay/photos_search", "pixabay/photo_download")

    item = pixabay().find(scene(), tmp_path)

    assert item.source == "pixabay"
    assert len(waits) == 1 and 0 <= waits[0] <= 1
    services.check_assertions()


def test_it_gives_up_on_pixabay_when_it_keeps_failing(services, settings, tmp_path, waits):
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "media": "pixabay"}
    replay(services, "pixabay/unavailable")

    item = find_media(scene(), tmp_path)

    assert item.source == "procedural"
    assert item.extra["fallback_reason"] == (
        "Pixabay is not answering right now for scene 3. Try again in a few minutes."
    )
    assert len(services.log) == 4


@pytest.mark.parametrize(
    ("recording", "detail"),
    [("pixabay/not_json", "not JSON"), ("pixabay/missing_fields", "no list of results")],
)
def test_it_reports_a_pixabay_answer_it_cannot_read(services, tmp_path, recording, detail):
    replay(services, recording)

    with pytest.raises(ProviderFailed) as failure:
        pixabay().find(scene(), tmp_path)

    assert failure.value.message == (
        "Pixabay sent a search answer we could not read for scene 3. Try again in a few minutes."
    )
    assert detail in failure.value.detail


def test_it_stops_at_a_refused_pixabay_key_and_masks_it(services, tmp_path, waits, calls):
    replay(services, "pixabay/bad_key")

    with pytest.raises(ProviderRefused) as refusal:
        pixabay().find(scene(), tmp_path)

    assert "Invalid or missing API key" in refusal.value.message
    # The key travels in the query string: every trace of it is masked.
    assert "test-pixabay-key" not in refusal.value.message + refusal.value.detail
    assert "key=***" in refusal.value.detail
    assert len(services.log) == 1 and waits == []
    assert calls[-1].outcome == "refused"
