"""Music under the voice: real tracks per mood, picked by the project and looped without a seam,
and the procedural beds they fall back to, measured as a listener would: long enough to loop, at
a sane level, never silent, seamless where the loop joins, and each mood its own."""

import itertools
import sys
import time
import wave

import av
import numpy as np
import pytest

from video_app.engine.core.errors import InvalidInput
from video_app.engine.render import music


def read_wav(path):
    with wave.open(str(path), "rb") as bed:
        rate, channels = bed.getframerate(), bed.getnchannels()
        pcm = np.frombuffer(bed.readframes(bed.getnframes()), dtype="<i2")
    return pcm.reshape(-1, channels).T / 32768.0, rate


def decibels(samples) -> float:
    return 20 * np.log10(np.sqrt(np.mean(np.square(samples))) + 1e-12)


def third_octave_levels_db(samples, rate):
    """The share of the bed's energy in each third of an octave from 50 Hz to 12.8 kHz."""
    power = np.abs(np.fft.rfft(samples.mean(axis=0))) ** 2
    frequencies = np.fft.rfftfreq(samples.shape[1], 1 / rate)
    edges = 50 * 2 ** (np.arange(25) / 3)
    bands = np.array(
        [
            power[(frequencies >= low) & (frequencies < high)].sum()
            for low, high in itertools.pairwise(edges)
        ]
    )
    return 10 * np.log10(bands / bands.sum() + 1e-12)


@pytest.mark.parametrize("mood", list(music.MOODS))
def test_it_makes_a_loop_of_half_a_minute_or_more_at_a_sane_level(tmp_path, mood):
    started = time.process_time()  # CPU time: other processes on the machine don't count
    path = music.music_bed(mood, cache_dir=tmp_path)
    made_s = time.process_time() - started

    samples, rate = read_wav(path)
    duration_s = samples.shape[1] / rate
    assert made_s < 1.0
    assert samples.shape[0] == 2
    assert 30 <= duration_s <= 60
    assert -24 < decibels(samples) < -16
    assert np.abs(samples).max() <= 0.91
    # Never silent: every second of the bed carries sound.
    seconds = samples[:, : int(duration_s) * rate].reshape(2, int(duration_s), rate)
    quietest_db = min(decibels(seconds[:, second]) for second in range(int(duration_s)))
    assert quietest_db > -45


@pytest.mark.parametrize("mood", list(music.MOODS))
def test_it_joins_its_end_to_its_start_without_a_click(tmp_path, mood):
    samples, _ = read_wav(music.music_bed(mood, cache_dir=tmp_path))

    seam = np.abs(samples[:, 0] - samples[:, -1]).max()
    steps = np.abs(np.diff(samples, axis=1)).max(axis=0)

    assert seam <= np.percentile(steps, 99.9)


def test_it_gives_each_mood_its_own_sound(tmp_path):
    beds = {mood: read_wav(music.music_bed(mood, cache_dir=tmp_path)) for mood in music.MOODS}

    levels = {mood: third_octave_levels_db(*bed) for mood, bed in beds.items()}
    lengths = {mood: bed[0].shape[1] for mood, bed in beds.items()}

    # Keys, chords and instruments differ: on average 3 dB or more apart across the bands.
    for first, second in itertools.combinations(beds, 2):
        assert np.abs(levels[first] - levels[second]).mean() > 3, (first, second)
    assert len(set(lengths.values())) == len(beds)  # tempos differ, so loops do


def test_it_makes_the_same_bed_from_the_same_seed_and_another_from_another(tmp_path):
    first = music.music_bed("upbeat", seed=1, cache_dir=tmp_path / "a").read_bytes()
    again = music.music_bed("upbeat", seed=1, cache_dir=tmp_path / "b").read_bytes()
    other = music.music_bed("upbeat", seed=2, cache_dir=tmp_path / "a").read_bytes()

    assert first == again
    assert first != other


def test_it_makes_a_bed_once_and_then_reuses_the_file(tmp_path, monkeypatch):
    path = music.music_bed("calm", cache_dir=tmp_path)
    monkeypatch.setattr(music, "render_bed", lambda *args, **kwargs: pytest.fail("made again"))

    assert music.music_bed("calm", cache_dir=tmp_path) == path


def test_it_names_the_moods_there_are_for_an_unknown_one(tmp_path):
    with pytest.raises(InvalidInput, match=r"Unknown music mood 'jazz'\. Choose one of: upbeat"):
        music.music_bed("jazz", cache_dir=tmp_path)


# --- Tracks from immich-memories-music ---------------------------------------------------------


@pytest.mark.parametrize("mood", list(music.MOODS))
def test_it_plays_a_real_track_of_the_matching_mood(tmp_path, mood):
    chosen = music.music_for(mood, seed=11, cache_dir=tmp_path)

    assert chosen.kind == "track"
    assert chosen.title.startswith(music.TRACK_MOODS[mood])
    assert "MIT" in chosen.credit and "immich-memories-music" in chosen.credit
    assert not chosen.note


def test_it_picks_the_same_track_for_a_project_and_varies_between_projects(tmp_path):
    again = [music.music_for("upbeat", seed=42, cache_dir=tmp_path).title for _ in range(3)]
    projects = {
        music.music_for("upbeat", seed=seed, cache_dir=tmp_path).title for seed in range(12)
    }

    assert len(set(again)) == 1
    assert len(projects) >= 3


def test_it_loops_a_track_without_a_seam(tmp_path):
    track = music.pick_track("calm", seed=1)
    looped, rate = read_wav(music.looped_track(track, tmp_path))
    source_s = av_duration_s(track)

    # The end fades into the start: the loop is the track less the cross-fade.
    assert looped.shape[1] / rate == pytest.approx(source_s - music.LOOP_CROSSFADE_S, abs=0.1)
    seam = np.abs(looped[:, 0] - looped[:, -1]).max()
    steps = np.abs(np.diff(looped, axis=1)).max(axis=0)
    assert seam <= np.percentile(steps, 99.9)
    assert decibels(looped) > -30  # music, not silence


def test_it_plays_the_procedural_bed_when_the_package_is_missing(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "immich_memories_music", None)  # import fails

    chosen = music.music_for("calm", seed=1, cache_dir=tmp_path)

    assert chosen.kind == "procedural"
    assert chosen.path == music.music_bed("calm", seed=1, cache_dir=tmp_path)
    assert "not installed" in chosen.note
    assert "procedural music played" in caplog.text


def test_it_plays_the_procedural_bed_when_a_track_will_not_decode(tmp_path, monkeypatch):
    broken = tmp_path / "tracks" / "happy"
    broken.mkdir(parents=True)
    (broken / "happy_1.opus").write_bytes(b"OggS not really")
    monkeypatch.setattr(music, "tracks_dir", lambda: tmp_path / "tracks")

    chosen = music.music_for("upbeat", seed=1, cache_dir=tmp_path / "cache")

    assert chosen.kind == "procedural"
    assert "could not be played" in chosen.note


def av_duration_s(path) -> float:
    with av.open(str(path)) as container:
        return container.duration / 1_000_000
