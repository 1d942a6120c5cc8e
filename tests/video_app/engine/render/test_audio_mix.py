"""The soundtrack: voices where the timeline puts them, music set under the voice and brought up
where nobody speaks, loudness on target, all measured in the mixed file."""

from pathlib import Path

import numpy as np
import pytest

from tests.video_app.engine import media_factories as make
from tests.video_app.engine.viewer import band_level_db, decoded_mono
from video_app.engine import voice
from video_app.engine.core.loudness import measure_loudness
from video_app.engine.render import audio_mix, music
from video_app.engine.render.audio_mix import (
    Soundtrack,
    VoicePlacement,
    render_soundtrack,
)

# Real voices and music mixed by FFmpeg.
pytestmark = pytest.mark.slow


def test_it_places_voices_at_their_times(tmp_path):
    spoken = make.voice(tmp_path / "v.wav", "one two", frequency=440)
    out = tmp_path / "track.m4a"

    render_soundtrack(
        Soundtrack(voices=(VoicePlacement(spoken.path, 1.5),), duration_s=4.0, loudness_lufs=None),
        out,
        timeout_s=60,
    )

    samples, rate = decoded_mono(out)
    assert abs(len(samples) / rate - 4.0) < 0.05
    assert np.abs(samples[: int(1.4 * rate)]).max() < 0.001  # silence before the voice
    assert np.abs(samples[int(1.6 * rate) : int(2.2 * rate)]).max() > 0.02


def test_it_lasts_as_long_as_the_video_every_time(tmp_path):
    # A mixer once ended the mix with its shortest input, now and then: render a few times.
    spoken = make.voice(tmp_path / "v.wav", "short", frequency=440)
    music = make.music(tmp_path / "m.wav", seconds=2.0)

    lengths = set()
    for attempt in range(5):
        out = tmp_path / f"track{attempt}.m4a"
        render_soundtrack(
            Soundtrack(voices=(VoicePlacement(spoken.path, 0.5),), duration_s=5.0, music=music),
            out,
            timeout_s=60,
        )
        samples, rate = decoded_mono(out)
        lengths.add(round(len(samples) / rate, 1))

    assert lengths == {5.0}


def band_power_db(samples, rate, start_s, end_s, *frequencies):
    """The summed level of the tones at `frequencies` over a stretch (compare stretches of the
    same length: the figure grows with it)."""
    levels = [band_level_db(samples, rate, start_s, end_s, f) for f in frequencies]
    return 10 * np.log10(sum(10 ** (level / 10) for level in levels))


@pytest.fixture
def tone_mix(tmp_path):
    """A 1 kHz "voice" from 2 s to 6 s over two-tone music (220 + 277 Hz), 10 s, on target:
    tones apart in frequency, so each can be measured in the mix."""
    words = "one two three four five six seven eight nine ten"
    spoken = make.voice(tmp_path / "v.wav", words, frequency=1000)
    music = make.music(tmp_path / "m.wav", seconds=10.0)
    out = tmp_path / "mix.m4a"
    render_soundtrack(
        Soundtrack(voices=(VoicePlacement(spoken.path, 2.0),), duration_s=10.0, music=music),
        out,
        timeout_s=60,
    )
    return out


def test_it_sets_the_music_under_the_voice_while_someone_speaks(tone_mix):
    samples, rate = decoded_mono(tone_mix)

    voice_db = band_level_db(samples, rate, 3.0, 5.0, 1000)
    music_db = band_power_db(samples, rate, 3.0, 5.0, 220, 277)

    below_db = voice_db - music_db
    assert below_db == pytest.approx(audio_mix.MUSIC_UNDER_VOICE_LU, abs=1.5)


def test_it_brings_the_music_up_where_nobody_speaks(tone_mix):
    samples, rate = decoded_mono(tone_mix)

    under_voice_db = band_power_db(samples, rate, 3.5, 4.0, 220, 277)
    before_db = band_power_db(samples, rate, 1.2, 1.7, 220, 277)  # faded in, voice not yet
    after_db = band_power_db(samples, rate, 7.0, 7.5, 220, 277)  # voice over, fade-out not yet

    for gap_db in (before_db, after_db):
        assert gap_db - under_voice_db == pytest.approx(audio_mix.MUSIC_UP_IN_GAPS_DB, abs=1.5)


def test_it_fades_the_music_in_and_out(tone_mix):
    samples, rate = decoded_mono(tone_mix)

    start_db = band_power_db(samples, rate, 0.0, 0.25, 220, 277)
    full_db = band_power_db(samples, rate, 1.2, 1.45, 220, 277)
    end_db = band_power_db(samples, rate, 9.75, 10.0, 220, 277)

    assert full_db - start_db > 10
    assert full_db - end_db > 15


def test_a_mix_with_music_stays_on_the_loudness_target(tone_mix):
    levels = measure_loudness(tone_mix)

    assert levels["integrated_lufs"] == pytest.approx(-14.0, abs=1.0)
    assert levels["true_peak_db"] <= -1.0


def test_a_template_moves_the_music_within_the_audible_window():
    # The built-in templates' levels: a promo's music louder, a tutorial's quieter, none lost.
    assert audio_mix.music_under_voice_lu(-18) == audio_mix.MUSIC_UNDER_VOICE_LU
    assert audio_mix.music_under_voice_lu(-16) == 10
    assert audio_mix.music_under_voice_lu(-26) == 14
    assert audio_mix.music_under_voice_lu(-6) == 10


def test_pauses_between_sentences_keep_the_music_down():
    voices = (
        VoicePlacement(Path("a.wav"), 0.5, 2.0),
        VoicePlacement(Path("b.wav"), 2.8, 2.0),  # 0.3 s after a: one span
        VoicePlacement(Path("c.wav"), 7.0, 1.0),  # 2.2 s after b: the music comes up between
    )

    spans = audio_mix.speaking_spans(Soundtrack(voices=voices, duration_s=10.0))

    assert spans == [(0.5, 4.8), (7.0, 8.0)]


@pytest.mark.parametrize("mood", ["upbeat", "calm"])
def test_real_music_is_heard_under_a_real_voice_and_the_voice_leads(tmp_path, mood):
    """Piper over a real track, as a phone would play it: the music stem (the mix less the
    same mix without music) sits 10-14 dB under the voice while it speaks."""
    speech = voice.synthesize(
        "Bees talk by dancing. A forager shows the hive where the flowers are. The angle of "
        "the dance points the way, and its length tells how far.",
        out_path=tmp_path / "voice.wav",
    )
    track = music.music_for(mood, seed=3, cache_dir=tmp_path / "cache")
    assert track.kind == "track"
    placed = (VoicePlacement(speech.path, 1.5, speech.duration_s),)
    duration_s = speech.duration_s + 4.0
    mixes = {}
    for name, bed in (("with", track.path), ("without", None)):
        mixes[name] = tmp_path / f"{name}.m4a"
        unnormalised = Soundtrack(placed, duration_s, music=bed, loudness_lufs=None)
        render_soundtrack(unnormalised, mixes[name], timeout_s=120)
    final = tmp_path / "final.m4a"
    render_soundtrack(
        Soundtrack(voices=placed, duration_s=duration_s, music=track.path), final, timeout_s=120
    )

    with_music, rate = decoded_mono(mixes["with"])
    spoken, _ = decoded_mono(mixes["without"])
    music_stem = with_music - spoken
    first_word_s, last_word_s = 1.5 + speech.words[0].start_s, 1.5 + speech.words[-1].end_s
    speaking = slice(int(first_word_s * rate), int(last_word_s * rate))
    after = slice(int((duration_s - 2.4) * rate), int((duration_s - 2.0) * rate))
    assert rms_db(spoken[speaking]) - rms_db(music_stem[speaking]) == pytest.approx(12, abs=2.5)
    assert rms_db(music_stem[after]) > rms_db(music_stem[speaking]) + 4  # up once words stop
    assert measure_loudness(final)["integrated_lufs"] == pytest.approx(-14.0, abs=1.0)


def rms_db(samples) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(samples))) + 1e-12)


def test_it_normalises_a_quiet_voice_to_the_web_loudness_target(tmp_path):
    spoken = make.voice(tmp_path / "quiet.wav", "a quiet little voice here", frequency=300)
    quiet = tmp_path / "quieter.wav"
    make.run_ffmpeg(
        ["-i", str(spoken.path), "-af", "volume=-20dB", str(quiet)],
        description="quieter",
        timeout_s=30,
    )
    out = tmp_path / "normalised.m4a"

    render_soundtrack(
        Soundtrack(voices=(VoicePlacement(quiet, 0.0),), duration_s=2.5, loudness_lufs=-14.0),
        out,
        timeout_s=60,
    )

    levels = measure_loudness(out)
    assert abs(levels["integrated_lufs"] - -14.0) <= 1.0
    assert levels["true_peak_db"] <= -1.0


def test_it_keeps_a_video_without_voice_silent_instead_of_amplifying_noise(tmp_path):
    out = tmp_path / "silent.m4a"

    render_soundtrack(Soundtrack(voices=(), duration_s=2.0), out, timeout_s=60)

    samples, _rate = decoded_mono(out)
    assert np.abs(samples).max() < 0.001
