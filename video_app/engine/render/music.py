"""Background music: a real track per mood, with a procedural bed as the fallback.

Tracks come from the immich-memories-music package (MIT, generated with ACE-Step; its
LICENSE-MUSIC says no attribution is required, we credit it anyway): each product mood is played
by one of the package's moods, the track picked by a seed (the project's), so a re-render plays
the same track and other projects vary. A track is decoded once with the bundled FFmpeg and its
end cross-faded into its start, so the soundtrack (audio_mix) can loop it seamlessly under a video
of any length, then fade and set it under the voice.

The procedural bed (numpy: a loop of whole bars of soft pads, plucked arpeggios, a bass line and,
in some moods, light drums; notes that ring past the end wrap round to the start) plays when the
package is missing or a track will not decode. Beds and prepared tracks are kept in
RENDER_CACHE_DIR.
"""

import hashlib
import logging
import math
import wave
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Literal

import numpy as np
from django.conf import settings

from ..core.errors import EngineError, InvalidInput
from ..core.ffmpeg import atomic_output, run_ffmpeg

logger = logging.getLogger(__name__)

# A bed under a voice needs no more bandwidth than this; the mix resamples it to 48 kHz.
SAMPLE_RATE = 24_000
MIN_LOOP_S = 30.0
TARGET_RMS_DB = -20.0  # the mix sets the level under the voice; this only keeps beds alike
MAX_PEAK = 0.9
# Bump when the same mood and seed would now sound different: cached beds stop matching.
BED_VERSION = 1
PAD_RELEASE_S = 1.5

TRACKS_PACKAGE = "immich-memories-music"
# The package's mood folder whose tracks play each product mood: the nearest in tempo, key and
# feel to the procedural bed of the same name (upbeat's bed is 120 bpm in A major, the happy
# electronic tracks 123 bpm in A major; corporate's 104 bpm in C, tender's 99 in C; cinematic's
# slow D minor, nostalgic's slow minor keys; pulse's E minor drive, energetic's minor 132-150 bpm).
TRACK_MOODS = {
    "upbeat": "happy",
    "calm": "calm",
    "corporate": "tender",
    "cinematic": "nostalgic",
    "pulse": "energetic",
}
TRACK_SAMPLE_RATE = 48_000  # the tracks' own rate and the mix's: no resampling
LOOP_CROSSFADE_S = 2.0  # a track's last seconds fade into its first where it loops
# Bump when a prepared track would now sound different: cached ones stop matching.
TRACK_VERSION = 1
TRACK_LICENCE = "MIT"


@dataclass(frozen=True)
class Music:
    """What plays under the voice, with what the credits say about it."""

    path: Path
    kind: Literal["track", "procedural", "own"]
    title: str  # "happy_electronic_1", "upbeat (procedural)", the creator's file name
    licence: str = ""
    credit: str = ""  # a line for the video's credits
    note: str = ""  # why the procedural bed plays instead of a track, for logs and pages


@dataclass(frozen=True)
class Mood:
    name: str
    bpm: float
    root_hz: float
    chords: tuple[tuple[int, ...], ...]  # semitones above the root, each held `chord_beats`
    chord_beats: int
    pad: float  # level of each part (0: left out)
    pad_harmonics: int  # more is brighter
    pad_attack_s: float
    pluck: float
    plucks_per_beat: int
    pluck_decay_s: float
    arpeggio: bool  # plucks walk the chord; False: they repeat its root (a pulse)
    bass: float
    bass_every_beats: int
    kick: float
    kick_every_beats: int
    hat: float


MOODS: dict[str, Mood] = {
    mood.name: mood
    for mood in (
        # I-V-vi-IV in A major, bright plucks in eighths, four-on-the-floor with off-beat hats.
        Mood(
            "upbeat",
            120,
            220.0,
            ((0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12)),
            4,
            pad=0.45,
            pad_harmonics=4,
            pad_attack_s=0.05,
            pluck=0.6,
            plucks_per_beat=2,
            pluck_decay_s=0.25,
            arpeggio=True,
            bass=0.5,
            bass_every_beats=1,
            kick=0.7,
            kick_every_beats=1,
            hat=0.2,
        ),
        # Major sevenths in F, slow swells, a pluck a beat, no drums.
        Mood(
            "calm",
            72,
            174.61,
            ((0, 4, 7, 11), (5, 9, 12, 16), (9, 12, 16, 19), (7, 11, 14, 17)),
            8,
            pad=0.8,
            pad_harmonics=2,
            pad_attack_s=1.2,
            pluck=0.3,
            plucks_per_beat=1,
            pluck_decay_s=0.8,
            arpeggio=True,
            bass=0.3,
            bass_every_beats=4,
            kick=0.0,
            kick_every_beats=4,
            hat=0.0,
        ),
        # I-vi-IV-V in C, steady eighths, a soft kick on the half bar.
        Mood(
            "corporate",
            104,
            130.81,
            ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14)),
            4,
            pad=0.5,
            pad_harmonics=3,
            pad_attack_s=0.15,
            pluck=0.5,
            plucks_per_beat=2,
            pluck_decay_s=0.35,
            arpeggio=True,
            bass=0.45,
            bass_every_beats=2,
            kick=0.35,
            kick_every_beats=2,
            hat=0.1,
        ),
        # i-VI-III-VII in D minor, wide slow pads, long bass notes, a low hit on each chord.
        Mood(
            "cinematic",
            64,
            146.83,
            ((0, 3, 7), (8, 12, 15), (3, 7, 10), (10, 14, 17)),
            8,
            pad=1.0,
            pad_harmonics=5,
            pad_attack_s=1.5,
            pluck=0.2,
            plucks_per_beat=1,
            pluck_decay_s=1.0,
            arpeggio=True,
            bass=0.6,
            bass_every_beats=8,
            kick=0.6,
            kick_every_beats=8,
            hat=0.0,
        ),
        # A muted sixteenth pulse on the root of E minor, faint pad, a soft kick each beat.
        Mood(
            "pulse",
            112,
            164.81,
            ((0, 3, 7), (0, 3, 7), (5, 8, 12), (3, 7, 10)),
            4,
            pad=0.2,
            pad_harmonics=2,
            pad_attack_s=0.5,
            pluck=0.55,
            plucks_per_beat=4,
            pluck_decay_s=0.08,
            arpeggio=False,
            bass=0.35,
            bass_every_beats=2,
            kick=0.45,
            kick_every_beats=1,
            hat=0.0,
        ),
    )
}


def music_for(mood: str, *, seed: int = 0, cache_dir: Path | None = None) -> Music:
    """The mood's music: a track picked by `seed`, else (no package, a track that won't decode)
    the procedural bed, with the reason in `note`."""
    _mood(mood)
    folder = Path(cache_dir or settings.RENDER_CACHE_DIR) / "music"
    try:
        track = pick_track(mood, seed=seed)
        path = looped_track(track, folder / "tracks")
    except (TrackUnavailable, EngineError) as error:
        note = f"The {mood} music track could not be played ({error}); procedural music played."
        logger.warning("%s %s", note, getattr(error, "detail", ""))
        bed = music_bed(mood, seed=seed, cache_dir=cache_dir)
        return Music(bed, "procedural", f"{mood} (procedural)", licence="generated", note=note)
    credit = f"Music: “{track.stem}” from {TRACKS_PACKAGE} {_package_version()} (MIT)"
    return Music(path, "track", track.stem, licence=TRACK_LICENCE, credit=credit)


class TrackUnavailable(Exception):
    """No track can play this mood (the package is missing, or has none for it)."""


def tracks_dir() -> Path:
    """The package's tracks, one folder per mood."""
    try:
        from immich_memories_music import tracks_dir as packaged_tracks_dir
    except ImportError:
        raise TrackUnavailable(f"the {TRACKS_PACKAGE} package is not installed") from None
    return packaged_tracks_dir()


def pick_track(mood: str, *, seed: int) -> Path:
    """One of the mood's tracks, the same for the same seed."""
    folder = tracks_dir() / TRACK_MOODS[_mood(mood).name]
    tracks = sorted(folder.glob("*.opus"))
    if not tracks:
        raise TrackUnavailable(f"{TRACKS_PACKAGE} has no tracks in {folder.name}/")
    # A hash, not seed % n: neighbouring project ids should not walk the list in order.
    digest = hashlib.sha256(f"{mood}:{seed}".encode()).digest()
    return tracks[int.from_bytes(digest[:8], "big") % len(tracks)]


def looped_track(track: Path, folder: Path) -> Path:
    """A WAV of the track whose end cross-fades into its start, so it loops without a seam
    (made once per track, then taken from the cache)."""
    path = folder / f"{track.parent.name}-{track.stem}-v{TRACK_VERSION}.wav"
    if path.exists():
        return path
    raw = folder / f"{path.stem}.f32"
    decode = ["-map", "0:a:0", "-ac", "2", "-ar", str(TRACK_SAMPLE_RATE), "-f", "f32le"]
    with atomic_output(raw) as partial:
        run_ffmpeg(
            ["-i", str(track), *decode, str(partial)],
            description=f"Decoding the music track {track.name}",
            timeout_s=60,
        )
    try:
        samples = np.fromfile(raw, dtype="<f4").reshape(-1, 2).T
    finally:
        raw.unlink(missing_ok=True)
    crossfade = round(LOOP_CROSSFADE_S * TRACK_SAMPLE_RATE)
    _write_wav(seamless_loop(samples, crossfade), path, rate=TRACK_SAMPLE_RATE)
    return path


def seamless_loop(samples: np.ndarray, crossfade: int) -> np.ndarray:
    """The samples (2, n) as a loop: their last `crossfade` fade (equal power) into their first,
    and the loop starts where that fade ends (a video opens `crossfade` into the track). Each
    join, inside and at the wrap, continues the track from the very next sample: no seam."""
    length = samples.shape[1]
    crossfade = min(crossfade, length // 4)
    if crossfade < 1:
        return samples
    angle = np.linspace(0, np.pi / 2, crossfade, dtype=np.float32)
    tail, head = samples[:, length - crossfade :], samples[:, :crossfade]
    joined = tail * np.cos(angle) + head * np.sin(angle)
    return np.concatenate([samples[:, crossfade : length - crossfade], joined], axis=1)


def _package_version() -> str:
    try:
        return version(TRACKS_PACKAGE)
    except PackageNotFoundError:
        return ""


def music_bed(mood: str, *, seed: int = 0, cache_dir: Path | None = None) -> Path:
    """A WAV file of the mood's loop (made once, then taken from the cache)."""
    spec = _mood(mood)
    folder = Path(cache_dir or settings.RENDER_CACHE_DIR) / "music"
    path = folder / f"{spec.name}-{seed}-v{BED_VERSION}.wav"
    if not path.exists():
        _write_wav(render_bed(spec, seed=seed), path)
    return path


def render_bed(mood: Mood, *, seed: int = 0) -> np.ndarray:
    """The loop as float samples, shape (2, n), at SAMPLE_RATE."""
    rng = np.random.default_rng([seed, *mood.name.encode()])
    beat_s = 60.0 / mood.bpm
    progression_beats = len(mood.chords) * mood.chord_beats
    repeats = math.ceil(MIN_LOOP_S / (progression_beats * beat_s))
    total_beats = progression_beats * repeats
    length = round(total_beats * beat_s * SAMPLE_RATE)
    mix = _Loop(length, tail=round((mood.chord_beats * beat_s + PAD_RELEASE_S) * SAMPLE_RATE))
    for beat in range(total_beats):
        chord = mood.chords[(beat // mood.chord_beats) % len(mood.chords)]
        at_s = beat * beat_s
        if beat % mood.chord_beats == 0 and mood.pad:
            pad = _pad(mood, chord, mood.chord_beats * beat_s)
            mix.add(pad * mood.pad * rng.uniform(0.9, 1.0), at_s)
        if mood.bass and beat % mood.bass_every_beats == 0:
            note = _bass(mood.root_hz * 2 ** (chord[0] / 12) / 2, mood.bass_every_beats * beat_s)
            mix.add(note * mood.bass, at_s)
        if mood.kick and beat % mood.kick_every_beats == 0:
            mix.add(_kick() * mood.kick, at_s)
        if mood.hat:
            mix.add(_hat(seed + beat) * mood.hat * rng.uniform(0.7, 1.0), at_s + beat_s / 2)
        for step in range(mood.plucks_per_beat if mood.pluck else 0):
            order = beat * mood.plucks_per_beat + step
            semitones = _pluck_semitones(mood, chord, order)
            note = _pluck(mood.root_hz * 2 ** (semitones / 12 + 1), mood.pluck_decay_s)
            pan = 0.5 + (0.25 if order % 2 else -0.25)
            gain = mood.pluck * rng.uniform(0.75, 1.0)
            mix.add(
                note * gain * np.array([[1 - pan], [pan]]) * 2,
                at_s + step * beat_s / mood.plucks_per_beat,
            )
    return _levelled(mix.samples())


def _pluck_semitones(mood: Mood, chord: tuple[int, ...], order: int) -> int:
    """An arpeggio walks up the chord, then up again an octave higher; a pulse keeps the root."""
    if not mood.arpeggio:
        return chord[0]
    tones = sorted(chord)
    return tones[order % len(tones)] + 12 * (order // len(tones) % 2)


class _Loop:
    """A stereo buffer whose end wraps round to its start."""

    def __init__(self, length: int, *, tail: int):
        self.length = length
        self.buffer = np.zeros((2, length + tail), dtype=np.float32)

    def add(self, sound: np.ndarray, at_s: float) -> None:
        start = round(at_s * SAMPLE_RATE) % self.length
        sound = np.broadcast_to(sound, (2, sound.shape[-1]))
        end = min(start + sound.shape[-1], self.buffer.shape[1])
        self.buffer[:, start:end] += sound[:, : end - start]

    def samples(self) -> np.ndarray:
        looped = self.buffer[:, : self.length].copy()
        tail = self.buffer[:, self.length :]
        looped[:, : tail.shape[1]] += tail
        return looped


@cache
def _pad(mood: Mood, chord: tuple[int, ...], hold_s: float) -> np.ndarray:
    """A held chord: each note two slightly detuned voices (one per side) with soft harmonics,
    swelling in over the attack and dying away after the hold."""
    t = np.arange(round((hold_s + PAD_RELEASE_S) * SAMPLE_RATE)) / SAMPLE_RATE
    sides = np.zeros((2, t.size))
    for semitones in chord:
        frequency = mood.root_hz * 2 ** (semitones / 12)
        for side, cents in enumerate((-6, 6)):
            detuned = frequency * 2 ** (cents / 1200)
            for harmonic in range(1, mood.pad_harmonics + 1):
                if detuned * harmonic < SAMPLE_RATE / 2.5:
                    phase = 2 * np.pi * detuned * harmonic * t + side * harmonic
                    sides[side] += np.sin(phase) / harmonic**1.6
    attack = np.clip(t / mood.pad_attack_s, 0, 1)
    release = np.exp(-np.clip(t - hold_s, 0, None) / (PAD_RELEASE_S / 4))
    envelope = (0.5 - 0.5 * np.cos(np.pi * attack)) * release
    return (sides * envelope / len(chord)).astype(np.float32)


@cache
def _pluck(frequency: float, decay_s: float) -> np.ndarray:
    t = np.arange(round(decay_s * 5 * SAMPLE_RATE)) / SAMPLE_RATE
    tone = np.sin(2 * np.pi * frequency * t) + 0.35 * np.sin(4 * np.pi * frequency * t)
    tone += 0.15 * np.sin(6 * np.pi * frequency * t)
    envelope = np.clip(t / 0.004, 0, 1) * np.exp(-t / decay_s)
    return (0.4 * tone * envelope).astype(np.float32)


@cache
def _bass(frequency: float, hold_s: float) -> np.ndarray:
    t = np.arange(round(hold_s * SAMPLE_RATE)) / SAMPLE_RATE
    tone = np.sin(2 * np.pi * frequency * t) + 0.25 * np.sin(4 * np.pi * frequency * t)
    envelope = np.clip(t / 0.01, 0, 1) * np.exp(-t / max(0.3, hold_s / 2))
    envelope *= np.clip((hold_s - t) / 0.05, 0, 1)  # no click where the next note starts
    return (0.5 * tone * envelope).astype(np.float32)


@cache
def _kick() -> np.ndarray:
    t = np.arange(round(0.35 * SAMPLE_RATE)) / SAMPLE_RATE
    # The pitch falls from 110 to 45 Hz: the phase is the integral of the sweep.
    phase = 2 * np.pi * (45 * t + 65 * 0.05 * (1 - np.exp(-t / 0.05)))
    return (0.8 * np.sin(phase) * np.exp(-t / 0.1)).astype(np.float32)


def _hat(seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal(round(0.06 * SAMPLE_RATE))
    bright = np.diff(noise, prepend=0.0)  # a first difference keeps the hiss, drops the rumble
    t = np.arange(bright.size) / SAMPLE_RATE
    return (0.12 * bright * np.exp(-t / 0.015)).astype(np.float32)


def _levelled(samples: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) or 1.0
    samples = samples * (10 ** (TARGET_RMS_DB / 20) / rms)
    peak = float(np.abs(samples).max())
    if peak > MAX_PEAK:
        samples *= MAX_PEAK / peak
    return samples.astype(np.float32)


def _write_wav(samples: np.ndarray, path: Path, *, rate: int = SAMPLE_RATE) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).round().astype("<i2")
    with atomic_output(path) as partial, wave.open(str(partial), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.T.tobytes())


def _mood(name: str) -> Mood:
    try:
        return MOODS[name]
    except KeyError:
        raise InvalidInput(
            f"Unknown music mood {name!r}. Choose one of: {', '.join(MOODS)}."
        ) from None
