"""Loudness measured as web platforms measure it (EBU R 128 through FFmpeg's ebur128 filter): the
render normalises its soundtrack with it and the export checks each platform's file."""

import re
from pathlib import Path

from .errors import RenderFailed
from .ffmpeg import run_ffmpeg

SILENCE_LUFS = -70.0  # ebur128's absolute gate: anything quieter measures as silence


def integrated_loudness(log: str) -> float | None:
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
        [
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-af",
            "ebur128=peak=true:framelog=quiet,volumedetect",
            "-f",
            "null",
            "-",
        ],
        description="Measuring loudness",
        timeout_s=timeout_s,
        loglevel="info",
    )
    peak = re.search(r"True peak:\s*Peak:\s*(-?[\d.]+|-inf) dBFS", log)
    mean = re.search(r"mean_volume:\s*(-?[\d.]+|-inf) dB", log)
    return {
        "integrated_lufs": integrated_loudness(log),
        "true_peak_db": _decibels(peak),
        "mean_volume_db": _decibels(mean),
    }


def _decibels(match: re.Match | None) -> float | None:
    return float(match.group(1)) if match and match.group(1) != "-inf" else None
