"""The soundtrack of a rendered video: voiceovers placed on the timeline, optional music set a
fixed distance under the voice (and brought up where nobody speaks), and loudness normalised for
web platforms.

Audio is cheap next to video, so the whole soundtrack is built in one FFmpeg graph each time and
encoded once as AAC-LC, 48 kHz stereo (what YouTube recommends), to be muxed with the video.
Levels come from measurements, not fixed gains: the voice and the music are measured apart, the
music is set relative to the voice, then the mix is brought to the target with one linear gain,
so the voice is never pumped.
"""

from dataclasses import dataclass
from pathlib import Path

from ..core.encoding import AUDIO_BITRATE, SAMPLE_RATE, TRUE_PEAK_DB
from ..core.ffmpeg import atomic_output, probe, run_ffmpeg
from ..core.loudness import integrated_loudness

# FFmpeg's own AAC encoder with its fast coder: 2.5 times quicker than the default "twoloop",
# with no audible difference at 384 kbps.
AAC_ARGS = ("-c:a", "aac", "-aac_coder", "fast", "-b:a", AUDIO_BITRATE)
LOUDNESS_TOLERANCE_LU = 0.3  # how near the target a mix must measure after limiting
LOUDNESS_CORRECTIONS = 2  # measurements through the limiter, at most, to get there
STEREO = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"

# Music levels, all in one place. Short-form platforms' own editors and broadcast practice put a
# music bed 10-14 LU under speech: further down (the old mix sat ~20 dB under) and a phone's
# small speaker, which loses the bass where most music lives, plays no music at all; closer and
# the words get hard to follow. Where nobody speaks for a while (title and end cards, long
# pauses) the music comes up, as an editor rides the fader.
MUSIC_UNDER_VOICE_LU = 12.0  # while someone speaks, the music's loudness this far below the voice
MUSIC_UNDER_VOICE_RANGE_LU = (10.0, 14.0)  # a template's own level moves it within this window
TEMPLATE_LEVEL_AT_HOUSE_DB = -18.0  # a template's level_db meaning "the house level" (12 LU)
MUSIC_UP_IN_GAPS_DB = 8.0  # how much the music comes up where nobody speaks
DUCK_DOWN_S = 0.15  # the music is down this long before a voice starts
DUCK_UP_S = 0.6  # and comes back up over this after it stops
# Pauses shorter than this (between sentences, between scenes) keep the music down: a bed that
# rose and fell between every sentence would pump.
MIN_GAP_S = 1.2
MUSIC_FADE_IN_S = 1.0
MUSIC_FADE_OUT_S = 2.0
ENVELOPE_STEP_SAMPLES = 480  # the music's level is recomputed every 10 ms: no audible steps


@dataclass(frozen=True)
class VoicePlacement:
    path: Path
    start_s: float
    duration_s: float | None = None  # None: read from the file


@dataclass(frozen=True)
class Soundtrack:
    voices: tuple[VoicePlacement, ...]
    duration_s: float
    music: Path | None = None
    # The template's music level (template_structure's render.music.level_db), mapped by
    # music_under_voice_lu into the audible window; TEMPLATE_LEVEL_AT_HOUSE_DB is the house level.
    music_gain_db: float = TEMPLATE_LEVEL_AT_HOUSE_DB
    loudness_lufs: float | None = -14.0


@dataclass(frozen=True)
class MusicLevels:
    """The gains that set the music under the voice, from the two measured apart."""

    under_voice_db: float  # applied while someone speaks
    in_gaps_db: float  # applied where nobody speaks for MIN_GAP_S or more


def music_under_voice_lu(template_level_db: float) -> float:
    """How far under the voice the music sits while someone speaks. A template asking for
    quieter music (a tutorial's -26) gets the quiet end of the window, a promo's -16 the loud
    end; nothing leaves the window, so music is never inaudible nor louder than the words."""
    low, high = MUSIC_UNDER_VOICE_RANGE_LU
    wanted = MUSIC_UNDER_VOICE_LU + TEMPLATE_LEVEL_AT_HOUSE_DB - template_level_db
    return min(high, max(low, wanted))


def render_soundtrack(soundtrack: Soundtrack, out_path: Path, *, timeout_s: float) -> None:
    """Write the soundtrack as an AAC (.m4a) file exactly `duration_s` long."""
    levels = music_levels(soundtrack, timeout_s=timeout_s) if soundtrack.music else None
    inputs, graph = _mix_graph(soundtrack, levels)
    if soundtrack.loudness_lufs is not None:
        gain_db = _normalising_gain_db(inputs, graph, soundtrack, timeout_s=timeout_s)
        graph += f";[mix]{_limited(gain_db)}[out]"
    else:
        graph += ";[mix]anull[out]"
    with atomic_output(out_path) as partial:
        run_ffmpeg(
            [
                *inputs,
                "-filter_complex",
                graph,
                "-map",
                "[out]",
                *AAC_ARGS,
                "-ar",
                str(SAMPLE_RATE),
                "-ac",
                "2",
                "-t",
                f"{soundtrack.duration_s:.6f}",
                str(partial),
            ],
            description="Mixing the soundtrack",
            timeout_s=timeout_s,
        )


def _limited(gain_db: float) -> str:
    # level=0: limit peaks only; alimiter would otherwise raise the whole level again.
    return f"volume={gain_db:.2f}dB,alimiter=limit={10 ** (TRUE_PEAK_DB / 20):.3f}:level=0"


def music_levels(soundtrack: Soundtrack, *, timeout_s: float) -> MusicLevels:
    """Measure the voices and the music apart (integrated loudness, which gates out silence,
    so the voice's figure is its level while it speaks) and set the music against the voice."""
    voice_inputs, voice_chains = _voice_chains(soundtrack)
    voice_lufs = _measured_lufs(voice_inputs, ";".join(voice_chains), "voice", timeout_s)
    music_inputs, music_chain = _music_chain(soundtrack, input_index=0)
    music_lufs = _measured_lufs(music_inputs, music_chain, "music", timeout_s)
    if voice_lufs is None or music_lufs is None:
        # No voice: the music is all there is, and normalising sets its level.
        return MusicLevels(under_voice_db=0.0, in_gaps_db=0.0)
    under = voice_lufs - music_under_voice_lu(soundtrack.music_gain_db) - music_lufs
    return MusicLevels(under_voice_db=under, in_gaps_db=under + MUSIC_UP_IN_GAPS_DB)


def _exact_length(soundtrack: Soundtrack) -> str:
    duration = f"{soundtrack.duration_s:.6f}"
    return f"apad=whole_dur={duration},atrim=0:{duration}"


def _voice_chains(soundtrack: Soundtrack) -> tuple[list[str], list[str]]:
    """FFmpeg inputs and chains ending in [voice]: every voiceover at its time, the video long.

    Every branch is padded and trimmed to the video's length before it is mixed, so no mixer
    has to decide when the mix ends (amix ending on a short input cut soundtracks in half).
    """
    exact_length = _exact_length(soundtrack)
    inputs: list[str] = []
    chains: list[str] = []
    for index, voice in enumerate(soundtrack.voices):
        inputs += ["-i", str(voice.path)]
        delay_ms = round(voice.start_s * 1000)
        chains.append(
            f"[{index}:a]{STEREO},adelay=delays={delay_ms}:all=1,{exact_length}[v{index}]"
        )
    if not soundtrack.voices:
        inputs += ["-f", "lavfi", "-i", f"anullsrc=channel_layout=stereo:sample_rate={SAMPLE_RATE}"]
        chains.append(f"[0:a]{exact_length}[voice]")
    elif len(soundtrack.voices) == 1:
        chains.append("[v0]anull[voice]")
    else:
        labels = "".join(f"[v{index}]" for index in range(len(soundtrack.voices)))
        chains.append(f"{labels}amix=inputs={len(soundtrack.voices)}:normalize=0[voice]")
    return inputs, chains


def _music_chain(soundtrack: Soundtrack, *, input_index: int) -> tuple[list[str], str]:
    """The music input, looped (beds are made to loop seamlessly), the video long, as [music]."""
    inputs = ["-stream_loop", "-1", "-i", str(soundtrack.music)]
    chain = f"[{input_index}:a]{STEREO},{_exact_length(soundtrack)}[music]"
    return inputs, chain


def _mix_graph(soundtrack: Soundtrack, levels: MusicLevels | None) -> tuple[list[str], str]:
    """FFmpeg inputs and a graph ending in [mix]: voices on the timeline, music beneath."""
    inputs, chains = _voice_chains(soundtrack)
    if soundtrack.music is None or levels is None:
        chains.append("[voice]anull[mix]")
        return inputs, ";".join(chains)
    music_inputs, music_chain = _music_chain(soundtrack, input_index=max(1, len(soundtrack.voices)))
    inputs += music_inputs
    fade_in_s = min(MUSIC_FADE_IN_S, soundtrack.duration_s / 4)
    fade_out_s = min(MUSIC_FADE_OUT_S, soundtrack.duration_s / 3)
    chains += [
        music_chain,
        f"[music]asetnsamples=n={ENVELOPE_STEP_SAMPLES}:p=0,"
        f"volume='{_music_gain_expression(soundtrack, levels)}':eval=frame,"
        f"afade=t=in:st=0:d={fade_in_s:.3f},"
        f"afade=t=out:st={soundtrack.duration_s - fade_out_s:.3f}:d={fade_out_s:.3f}[bed]",
        "[voice][bed]amix=inputs=2:normalize=0[mix]",
    ]
    return inputs, ";".join(chains)


def speaking_spans(soundtrack: Soundtrack) -> list[tuple[float, float]]:
    """When someone speaks, as (start_s, end_s), with pauses shorter than MIN_GAP_S closed."""
    spans = sorted(
        (voice.start_s, voice.start_s + _voice_duration_s(voice)) for voice in soundtrack.voices
    )
    merged: list[tuple[float, float]] = []
    for start_s, end_s in spans:
        if merged and start_s - merged[-1][1] < MIN_GAP_S:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end_s))
        else:
            merged.append((start_s, end_s))
    return merged


def _voice_duration_s(voice: VoicePlacement) -> float:
    return voice.duration_s if voice.duration_s is not None else probe(voice.path).duration_s


def _music_gain_expression(soundtrack: Soundtrack, levels: MusicLevels) -> str:
    """The music's gain over time (FFmpeg's expression language, `t` in seconds): the gap level,
    brought down to the under-voice level by a trapezoid around each stretch of speech. Spans
    are at least MIN_GAP_S apart, longer than a down and an up ramp, so trapezoids never
    overlap and their sum stays within 0..1."""
    gap = 10 ** (levels.in_gaps_db / 20)
    depth = 1 - 10 ** ((levels.under_voice_db - levels.in_gaps_db) / 20)
    trapezoids = [
        f"clip((t-{start_s - DUCK_DOWN_S:.3f})/{DUCK_DOWN_S},0,1)"
        f"*clip(({end_s + DUCK_UP_S:.3f}-t)/{DUCK_UP_S},0,1)"
        for start_s, end_s in speaking_spans(soundtrack)
    ]
    if not trapezoids:
        return f"{gap:.6f}"
    return f"{gap:.6f}*(1-{depth:.6f}*({'+'.join(trapezoids)}))"


def _measured_lufs(inputs: list[str], graph: str, label: str, timeout_s: float) -> float | None:
    log = run_ffmpeg(
        [
            *inputs,
            "-filter_complex",
            f"{graph};[{label}]ebur128=framelog=quiet[measured]",
            "-map",
            "[measured]",
            "-f",
            "null",
            "-",
        ],
        description="Measuring loudness",
        timeout_s=timeout_s,
        loglevel="info",
    )
    return integrated_loudness(log)


def _normalising_gain_db(inputs, graph, soundtrack: Soundtrack, *, timeout_s: float) -> float:
    """The gain that brings the mix to the target once its peaks are limited.

    Measured, then measured again through the limiter: a synthetic voice peaking at 0 dBFS and
    lifted 6 dB loses over a loudness unit to the limiter, so the first figure alone misses.
    """
    integrated = _measured_lufs(inputs, graph, "mix", timeout_s)
    if integrated is None:
        # Silence (no voice, no music) stays silence rather than being amplified noise.
        return 0.0
    gain_db = soundtrack.loudness_lufs - integrated
    for _ in range(LOUDNESS_CORRECTIONS):
        limited = f"{graph};[mix]{_limited(gain_db)}[limited]"
        integrated = _measured_lufs(inputs, limited, "limited", timeout_s)
        miss_lu = soundtrack.loudness_lufs - (integrated or soundtrack.loudness_lufs)
        if abs(miss_lu) <= LOUDNESS_TOLERANCE_LU:
            break
        gain_db += miss_lu
    return gain_db
