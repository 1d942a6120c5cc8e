"""The soundtrack: voices where the timeline puts them, music ducked beneath, loudness on target."""

import numpy as np

from tests.video_app.ai_services import media_factories as make
from tests.video_app.ai_services.viewer import band_level_db, decoded_mono
from video_app.ai_services.audio_mix import (
    Soundtrack,
    VoicePlacement,
    measure_loudness,
    render_soundtrack,
)


def test_it_places_voices_at_their_times(tmp_path):
    voice = make.voice(tmp_path / "v.wav", "one two", frequency=440)
    out = tmp_path / "track.m4a"

    render_soundtrack(
        Soundtrack(voices=(VoicePlacement(voice.path, 1.5),), duration_s=4.0, loudness_lufs=None),
        out,
        timeout_s=60,
    )

    samples, rate = decoded_mono(out)
    assert abs(len(samples) / rate - 4.0) < 0.05
    assert np.abs(samples[: int(1.4 * rate)]).max() < 0.001  # silence before the voice
    assert np.abs(samples[int(1.6 * rate) : int(2.2 * rate)]).max() > 0.02


def test_it_lasts_as_long_as_the_video_every_time(tmp_path):
    # A mixer once ended the mix with its shortest input, now and then: render a few times.
    voice = make.voice(tmp_path / "v.wav", "short", frequency=440)
    music = make.music(tmp_path / "m.wav", seconds=2.0)

    lengths = set()
    for attempt in range(5):
        out = tmp_path / f"track{attempt}.m4a"
        render_soundtrack(
            Soundtrack(voices=(VoicePlacement(voice.path, 0.5),), duration_s=5.0, music=music),
            out,
            timeout_s=60,
        )
        samples, rate = decoded_mono(out)
        lengths.add(round(len(samples) / rate, 1))

    assert lengths == {5.0}


def test_it_ducks_the_music_while_someone_speaks(tmp_path):
    voice = make.voice(tmp_path / "v.wav", "a b c d e", frequency=660)  # 2 s of voice
    music = make.music(tmp_path / "m.wav", seconds=6.0)
    out = tmp_path / "ducked.m4a"

    render_soundtrack(
        Soundtrack(
            voices=(VoicePlacement(voice.path, 1.0),),
            duration_s=6.0,
            music=music,
            music_gain_db=-10,
            loudness_lufs=None,
        ),
        out,
        timeout_s=60,
    )

    samples, rate = decoded_mono(out)
    under_voice = band_level_db(samples, rate, 1.8, 2.8, 220)
    alone = band_level_db(samples, rate, 4.0, 5.0, 220)
    assert alone - under_voice > 8  # the music dips by about 10 dB under the voice


def test_it_normalises_a_quiet_voice_to_the_web_loudness_target(tmp_path):
    voice = make.voice(tmp_path / "quiet.wav", "a quiet little voice here", frequency=300)
    quiet = tmp_path / "quieter.wav"
    make.run_ffmpeg(
        ["-i", str(voice.path), "-af", "volume=-20dB", str(quiet)],
        description="quieter", timeout_s=30,
    )  # fmt: skip
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
