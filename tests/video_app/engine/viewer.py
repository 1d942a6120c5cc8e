"""Looking at a rendered file as a viewer would: frames, black stretches, loudness."""

import re
from pathlib import Path

import av
import numpy as np

from video_app.engine.core.ffmpeg import run_ffmpeg
from video_app.engine.core.loudness import measure_loudness


def frame_at(path: Path, seconds: float) -> np.ndarray:
    """The RGB frame shown at `seconds` (the first frame whose time reaches it)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(int(max(0.0, seconds - 1.0) / stream.time_base), stream=stream)
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= seconds - 1e-3:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {seconds} s in {path}")


def frame_count(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.size)


def black_intervals(path: Path) -> list[tuple[float, float]]:
    log = run_ffmpeg(
        [
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-vf",
            "blackdetect=d=0.04:pix_th=0.10",
            "-f",
            "null",
            "-",
        ],
        description="blackdetect",
        timeout_s=120,
        loglevel="info",
    )
    return [
        (float(start), float(end))
        for start, end in re.findall(r"black_start:([\d.]+) black_end:([\d.]+)", log)
    ]


def loudness(path: Path) -> dict:
    return measure_loudness(path)


def decoded_mono(path):
    """The audio as one channel of floats, and its sample rate (read from the decoded frames:
    the stream header does not always carry it)."""
    with av.open(str(path)) as container:
        frames = list(container.decode(container.streams.audio[0]))
    samples = np.concatenate([frame.to_ndarray().mean(axis=0) for frame in frames])
    return samples, frames[0].sample_rate


def band_level_db(samples, rate, start_s, end_s, frequency):
    """Level of one frequency over a stretch of audio (the music's tone, say)."""
    window = samples[int(start_s * rate) : int(end_s * rate)]
    spectrum = np.abs(np.fft.rfft(window * np.hanning(len(window))))
    bins = np.fft.rfftfreq(len(window), 1 / rate)
    near = (bins > frequency - 5) & (bins < frequency + 5)
    return 20 * np.log10(spectrum[near].max() + 1e-9)
