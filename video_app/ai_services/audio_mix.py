"""The soundtrack of a rendered video: voiceovers placed on the timeline, optional music ducked
under the voice, and loudness normalised for web platforms.

Audio is cheap next to video, so the whole soundtrack is built in one FFmpeg graph each time and
encoded once as AAC-LC, 48 kHz stereo (what YouTube recommends), to be muxed with the video.
Loudness is normalised in two passes (measure, then a linear gain) so the voice is not pumped.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import RenderFailed
from .ffmpeg import atomic_output, run_ffmpeg

SAMPLE_RATE = 48_000
AUDIO_BITRATE = "384k"
TRUE_PEAK_DB = -1.5
# FFmpeg's own AAC encoder with its fast coder: 2.5 times quicker than the default "twoloop",
# with no audible difference at 384 kbps.
AAC_ARGS = ("-c:a", "aac", "-aac_coder", "fast", "-b:a", AUDIO_BITRATE)
SILENCE_LUFS = -70.0  # ebur128's absolute gate: anything quieter measures as silence


@dataclass(frozen=True)
class VoicePlacement:
    path: Path
    start_s: float


@dataclass(frozen=True)
class Soundtrack:
    voices: tuple[VoicePlacement, ...]
    duration_s: float
    music: Path | None = None
    music_gain_db: float = -16.0
    loudness_lufs: float | None = -14.0


def render_soundtrack(soundtrack: Soundtrack, out_path: Path, *, timeout_s: float) -> None:
    """Write the soundtrack as an AAC (.m4a) file exactly `duration_s` long."""
    inputs, graph = _mix_graph(soundtrack)
    if soundtrack.loudness_lufs is not None:
        gain_db = _normalising_gain_db(inputs, graph, soundtrack, timeout_s=timeout_s)
        graph += (
            f";[mix]volume={gain_db:.2f}dB,"
            # level=0: limit peaks only; alimiter would otherwise raise the whole level again.
            f"alimiter=limit={10 ** (TRUE_PEAK_DB / 20):.3f}:level=0[out]"
        )
    else:
        graph += ";[mix]anull[out]"
    with atomic_output(out_path) as partial:
        run_ffmpeg(
            [*inputs, "-filter_complex", graph, "-map", "[out]",
             *AAC_ARGS, "-ar", str(SAMPLE_RATE), "-ac", "2",
             "-t", f"{soundtrack.duration_s:.6f}", str(partial)],
            description="Mixing the soundtrack",
            timeout_s=timeout_s,
        )  # fmt: skip


def _mix_graph(soundtrack: Soundtrack) -> tuple[list[str], str]:
    """FFmpeg inputs and a graph ending in [mix]: voices on the timeline, music ducked beneath.

    Every branch is padded and trimmed to the video's length before it is mixed, so no mixer
    has to decide when the mix ends (amix ending on a short input cut soundtracks in half).
    """
    duration = f"{soundtrack.duration_s:.6f}"
    exact_length = f"apad=whole_dur={duration},atrim=0:{duration}"
    stereo = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
    inputs: list[str] = []
    chains: list[str] = []
    for index, voice in enumerate(soundtrack.voices):
        inputs += ["-i", str(voice.path)]
        delay_ms = round(voice.start_s * 1000)
        chains.append(
            f"[{index}:a]{stereo},adelay=delays={delay_ms}:all=1,{exact_length}[v{index}]"
        )
    if not soundtrack.voices:
        inputs += ["-f", "lavfi", "-i", f"anullsrc=channel_layout=stereo:sample_rate={SAMPLE_RATE}"]
        chains.append(f"[0:a]{exact_length}[voice]")
    elif len(soundtrack.voices) == 1:
        chains.append("[v0]anull[voice]")
    else:
        labels = "".join(f"[v{index}]" for index in range(len(soundtrack.voices)))
        chains.append(f"{labels}amix=inputs={len(soundtrack.voices)}:normalize=0[voice]")
    if soundtrack.music is None:
        chains.append("[voice]anull[mix]")
        return inputs, ";".join(chains)
    music_index = max(1, len(soundtrack.voices))
    inputs += ["-stream_loop", "-1", "-i", str(soundtrack.music)]
    chains += [
        "[voice]asplit=2[voice_mix][voice_key]",
        f"[{music_index}:a]{stereo},{exact_length},volume={soundtrack.music_gain_db}dB,"
        f"afade=t=out:st={max(0.0, soundtrack.duration_s - 2):.3f}:d=2[music]",
        # Duck the music about 10 dB while someone speaks, recovering between sentences.
        "[music][voice_key]sidechaincompress=threshold=0.008:ratio=12:attack=15:release=350"
        "[ducked]",
        "[voice_mix][ducked]amix=inputs=2:normalize=0[mix]",
    ]
    return inputs, ";".join(chains)


def _normalising_gain_db(inputs, graph, soundtrack: Soundtrack, *, timeout_s: float) -> float:
    """Measure the mix's integrated loudness; return the gain that brings it to the target."""
    log = run_ffmpeg(
        [*inputs, "-filter_complex", graph + ";[mix]ebur128=framelog=quiet[measured]",
         "-map", "[measured]", "-f", "null", "-"],
        description="Measuring loudness",
        timeout_s=timeout_s,
        loglevel="info",
    )  # fmt: skip
    integrated = _integrated_loudness(log)
    if integrated is None:
        # Silence (no voice, no music) stays silence rather than being amplified noise.
        return 0.0
    return soundtrack.loudness_lufs - integrated


def _integrated_loudness(log: str) -> float | None:
    """The integrated loudness ebur128 reported, or None for silence (nothing above its gate)."""
    # ebur128's summary: "Integrated loudness:\n    I:         -23.0 LUFS"
    match = re.search(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf) LUFS", log)
    if not match:
        raise RenderFailed("Measuring loudness failed.", detail=log[-2000:])
    value = match.group(1)
    return None if value == "-inf" or float(value) <= SILENCE_LUFS else float(value)


def measure_loudness(path: Path, *, timeout_s: float = 120) -> dict:
    """Integrated loudness (LUFS), true peak (dBTP) and mean volume (dB) of a file's audio."""
    log = run_ffmpeg(
        ["-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true:framelog=quiet,volumedetect",
         "-f", "null", "-"],
        description="Measuring loudness",
        timeout_s=timeout_s,
        loglevel="info",
    )  # fmt: skip
    peak = re.search(r"True peak:\s*Peak:\s*(-?[\d.]+|-inf) dBFS", log)
    mean = re.search(r"mean_volume:\s*(-?[\d.]+|-inf) dB", log)
    return {
        "integrated_lufs": _integrated_loudness(log),
        "true_peak_db": _decibels(peak),
        "mean_volume_db": _decibels(mean),
    }


def _decibels(match: re.Match | None) -> float | None:
    return float(match.group(1)) if match and match.group(1) != "-inf" else None
