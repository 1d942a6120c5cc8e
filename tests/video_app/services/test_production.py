"""Making a whole video without the web: the steps chained, lengths checked before work is spent."""

import itertools

import pytest

from tests.video_app.engine import media_factories as make
from tests.video_app.engine.viewer import band_level_db, decoded_mono
from video_app.builtin_templates import DEFAULT_RECIPE
from video_app.engine.core.errors import InvalidInput
from video_app.engine.core.ffmpeg import probe
from video_app.engine.core.styles import get_style
from video_app.engine.export import capped, get_platform
from video_app.engine.render import LONG_FORM, SHORT_FORM, render_timeline
from video_app.engine.scenes import process_script
from video_app.services.production import (
    ProductionRequest,
    build_timeline,
    fit_scenes_to_platforms,
    produce_video,
)

# Whole videos made and rendered, scripts written by the model.
pytestmark = pytest.mark.slow

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
        "script",
        "scenes",
        "voice",
        "media",
        "render",
        "export",
    ]


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


# --- Pacing per platform family ------------------------------------------------------------------


def paced_timeline(tmp_path, platform: str):
    texts = ["Bees talk to each other by dancing in the hive.", "It points the way.", "Far."]
    speeches = [
        make.voice(tmp_path / f"v{i}.wav", text, frequency=400 + 100 * i)
        for i, text in enumerate(texts)
    ]
    media = [make.still(tmp_path / f"p{i}.png", colour=make.COLOURS[i]) for i in range(3)]
    scenes = process_script(" ".join(texts))[:1] * 3
    spec = capped(get_platform(platform), 360)
    request = ProductionRequest(script_text=" ".join(texts), recipe=DEFAULT_RECIPE)
    style, work = get_style("modern"), tmp_path / "work"
    timeline = build_timeline(
        scenes, speeches, media, request, style, spec, "Bees", work, music=None
    )
    return timeline, speeches, media


def test_short_form_speaks_at_once_with_the_title_over_the_first_scene(tmp_path):
    timeline, speeches, media = paced_timeline(tmp_path, "youtube_shorts")

    first, second = timeline.scenes[:2]
    assert timeline.caption_words()[0].start_s <= 0.5
    # No silent card: the headline picture already speaks, then the scene's own picture.
    assert first.speech == speeches[0] and first.media.path != media[0].path
    assert first.duration_s == SHORT_FORM.title_s
    assert second.media == media[0] and second.speech is None
    # Pauses between scenes: the template's 0.3 s + 0.5 s capped at 0.05 s each.
    placements = timeline.voice_placements()
    for before, after in itertools.pairwise(placements):
        assert after.start_s - (before.start_s + before.duration_s) <= 0.1 + 1e-6


def test_short_form_voice_and_captions_start_together_in_the_video(tmp_path):
    timeline, *_ = paced_timeline(tmp_path, "tiktok")

    result = render_timeline(timeline, tmp_path / "short.mp4")

    samples, rate = decoded_mono(result.path)
    first_cue = result.cues[0]
    assert first_cue.start_s <= 0.5
    silent_db = band_level_db(samples, rate, 0.0, first_cue.start_s, 400)
    spoken_db = band_level_db(samples, rate, first_cue.start_s, first_cue.start_s + 0.3, 400)
    assert spoken_db - silent_db > 20  # the voice starts where its caption does


def test_long_form_keeps_a_title_card_of_a_second_at_most(tmp_path):
    timeline, speeches, media = paced_timeline(tmp_path, "youtube")

    card = timeline.scenes[0]
    assert card.speech is None and card.duration_s <= LONG_FORM.title_s
    assert timeline.scenes[1].media == media[0] and timeline.scenes[1].speech == speeches[0]
    assert timeline.caption_words()[0].start_s <= LONG_FORM.title_s + DEFAULT_RECIPE.lead_s
    # The template's own pauses hold in long form.
    assert timeline.scenes[1].speech_offset_s == DEFAULT_RECIPE.lead_s


def test_it_gives_each_speaker_of_a_dialogue_a_voice_of_their_own(tmp_path):
    dialogue = (
        "ANNA: Shall we walk to the lighthouse before lunch?\n\n"
        "BEN: Only if we are back before the tide comes in.\n\n"
        "ANNA: Then we leave right now."
    )

    result = produce_video(
        ProductionRequest(script_text=dialogue, platforms=("instagram_square",)),
        tmp_path / "out",
        work_dir=tmp_path / "work",
    )

    voices = {}
    for scene, speech in zip(result.scenes, result.speeches, strict=True):
        voices.setdefault(scene.speaker, set()).add(speech.voice_id)
    assert voices.keys() == {"ANNA", "BEN"}
    assert all(len(voice) == 1 for voice in voices.values())
    assert voices["ANNA"] != voices["BEN"]
