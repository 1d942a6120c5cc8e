"""Making a whole video without the web: the steps chained, lengths checked before work is spent."""

import pytest

from video_app.ai_services.errors import InvalidInput
from video_app.ai_services.ffmpeg import probe
from video_app.ai_services.platform_export import get_platform
from video_app.ai_services.script_processing import process_script
from video_app.builtin_templates import DEFAULT_RECIPE
from video_app.services.production import (
    ProductionRequest,
    fit_scenes_to_platforms,
    produce_video,
)

SCRIPT = (
    "Solar panels turn sunlight into electricity.\n\n"
    "[A rooftop covered in panels at noon] Most homes need about twenty of them."
)
LONG_SCRIPT = " ".join(["Every sentence here adds a few more seconds of narration."] * 340)


def test_it_makes_a_video_per_platform_with_captions_from_the_voice(tmp_path):
    steps = []

    result = produce_video(
        ProductionRequest(script_text=SCRIPT, platforms=("youtube", "tiktok"), style="tech"),
        tmp_path / "out",
        work_dir=tmp_path / "work",
        on_progress=lambda step, fraction, message: steps.append(step),
    )

    assert set(result.exports) == {"youtube", "tiktok"}
    assert set(result.masters) == {"16:9", "9:16"}
    for name, export in result.exports.items():
        spec = get_platform(name)
        info = probe(export.path)
        assert (info.width, info.height) == (spec.width, spec.height)
        assert abs(info.duration_s - result.masters[spec.aspect].duration_s) <= 0.1
        assert "twenty" in export.srt_path.read_text()
    assert [step for step in dict.fromkeys(steps)] == [
        "script", "scenes", "voice", "media", "render", "export",
    ]  # fmt: skip


def test_it_writes_a_script_when_given_a_topic(tmp_path):
    result = produce_video(
        ProductionRequest(topic="Why cats purr", platforms=("instagram_square",)),
        tmp_path / "out",
        work_dir=tmp_path / "work",
    )

    assert "purr" in result.script_text.lower()
    assert len(result.scenes) >= 3
    assert probe(result.exports["instagram_square"].path).has_audio


def test_it_refuses_a_script_far_too_long_for_the_platform_before_voicing_it():
    scenes = process_script(LONG_SCRIPT, platform="youtube_shorts")

    with pytest.raises(InvalidInput, match=r"would be about .* long; YouTube Shorts accepts at"):
        fit_scenes_to_platforms(
            scenes, [get_platform("youtube_shorts")], trim=False, recipe=DEFAULT_RECIPE
        )


def test_it_drops_scenes_past_the_cut_when_trimming():
    scenes = process_script(LONG_SCRIPT, platform="youtube_shorts")

    kept = fit_scenes_to_platforms(
        scenes, [get_platform("youtube_shorts")], trim=True, recipe=DEFAULT_RECIPE
    )

    estimated_s = sum(scene.estimated_duration_s for scene in kept)
    assert 0 < len(kept) < len(scenes)
    assert 180 <= estimated_s <= 180 * 1.4


def test_it_needs_a_topic_or_a_script(tmp_path):
    with pytest.raises(InvalidInput, match="Give a topic or a script"):
        produce_video(ProductionRequest(), tmp_path, work_dir=tmp_path)
