"""What the template makes of a video's pieces: scenes that fit the platform, checked before any
voice is made, and the timeline paced for the platform's family."""

import itertools

import pytest

from tests.video_app.engine import media_factories as make
from tests.video_app.engine.viewer import band_level_db, decoded_mono
from video_app.builtin_templates import DEFAULT_RECIPE
from video_app.engine.core.errors import InvalidInput
from video_app.engine.core.styles import get_style
from video_app.engine.export import capped, get_platform
from video_app.engine.render import LONG_FORM, SHORT_FORM, render_timeline
from video_app.engine.scenes import process_script
from video_app.services.composition import Composition, build_timeline, fit_scenes_to_platforms

LONG_SCRIPT = " ".join(["Every sentence here adds a few more seconds of narration."] * 340)


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
    composition = Composition(title="Bees", recipe=DEFAULT_RECIPE, style=get_style("modern"))
    timeline = build_timeline(
        scenes, speeches, media, composition, spec, tmp_path / "cards", music=None
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


@pytest.mark.slow  # a render
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
