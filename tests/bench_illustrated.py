"""How long an illustrated picture takes to compose, and what its moving layers cost the render.

    .venv/bin/python -m tests.bench_illustrated [--scenes 5] [--seconds 4]

Composes the same scenes at 1920x1080 and 1080x1920 (the renderer's 1.2x room included) after
one warm-up picture (the art index and its embedding model load once per process), then renders
one scene of `--seconds` with the FFmpeg engine twice: its finished still alone (the old path),
and its plate with the layers moving over it. Prints a markdown table.
"""

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_core.settings.dev")

SCENES = [
    ("A rocket launches into space", "Our journey begins with a countdown.", ("rocket", "space")),
    ("A brain", "5 habits that change how your brain works.", ("habits", "brain")),
    ("Coffee and a book", "Start the morning with coffee and a book.", ("coffee", "book")),
    ("Coins and a chart", "Save money every month and watch it grow.", ("save money", "chart")),
    ("Sun, tree and water", "Plants need sun, water and time.", ("plants", "sun", "water")),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=len(SCENES))
    parser.add_argument("--seconds", type=float, default=4.0)
    options = parser.parse_args()
    django.setup()

    from video_app.engine.core.encoding import OVERSCAN
    from video_app.engine.core.styles import get_style
    from video_app.engine.core.types import FrameSize
    from video_app.engine.media import MediaRequest
    from video_app.engine.media.illustrated import IllustratedMediaProvider
    from video_app.engine.render import Timeline, TimelineScene
    from video_app.engine.render.ffmpeg_engine import FFmpegEngine

    style = get_style("modern")
    provider = IllustratedMediaProvider()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-illustrated-") as folder:
        work = Path(folder)

        def request(index: int, frame: FrameSize) -> MediaRequest:
            visual, narration, keywords = SCENES[index % len(SCENES)]
            prepared = FrameSize(round(frame.width * OVERSCAN), round(frame.height * OVERSCAN))
            return MediaRequest(index, keywords, visual, narration, style, prepared)

        provider.find(request(0, FrameSize(640, 360)), work / "warm-up")
        for frame in (FrameSize(1080, 1920), FrameSize(1920, 1080)):
            times = []
            for index in range(options.scenes):
                start = time.perf_counter()
                item = provider.find(request(index, frame), work / "media")
                times.append(time.perf_counter() - start)
            rows.append(
                (
                    f"compose {frame.width}x{frame.height}",
                    statistics.median(times),
                    f"median of {len(times)} pictures, max {max(times):.2f} s",
                )
            )

            plain = replace(item, extra={})
            for label, media in (("still (whole-frame zoom)", plain), ("layers moving", item)):
                timeline = Timeline(
                    frame=frame,
                    fps=30,
                    style=style,
                    caption_style="none",
                    loudness_lufs=None,
                    scenes=(TimelineScene(media=media, duration_s=options.seconds),),
                )
                engine = FFmpegEngine(cache_dir=work / f"cache-{label}-{frame.width}", workers=1)
                start = time.perf_counter()
                engine.render(timeline, work / "out.mp4")
                elapsed = time.perf_counter() - start
                rows.append(
                    (
                        f"render {frame.width}x{frame.height}, {label}",
                        elapsed,
                        f"{options.seconds:g} s of video, {elapsed / options.seconds:.2f}x"
                        " real time",
                    )
                )

    print("| what | seconds | note |")
    print("| --- | ---: | --- |")
    for what, seconds, note in rows:
        print(f"| {what} | {seconds:.2f} | {note} |")


if __name__ == "__main__":
    main()
