"""Illustration timings as a markdown table: building the art index, choosing art for a scene,
drawing it at 512 and 1024 px. `.venv/bin/python -m tests.bench_illustrations` (make bench).

The index is built into a temporary folder, so the timing is a cold build and the shared
index beside the packaged models is left alone."""

import os
import statistics
import tempfile
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_core.settings.test")
django.setup()

from video_app.engine.core import packaged_models  # noqa: E402
from video_app.engine.media import illustrations  # noqa: E402

SCENES = [
    ["Bees fly from flower to flower", "Honeybees make honey in the hive."],
    ["Una taza de café por la mañana"],
    ["A snowman in the garden", "Winter came early that year.", "winter", "snow"],
    ["Doctors treat patients in the hospital."],
]


def _median_ms(action, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    art_dir = packaged_models.require("art")
    with tempfile.TemporaryDirectory() as folder:
        illustrations.index_dir = lambda: Path(folder)
        started = time.perf_counter()
        illustrations._built_index(art_dir)
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        illustrations._loaded = illustrations._Index(illustrations._built_index(art_dir))
        load_ms = (time.perf_counter() - started) * 1000
        pieces = len(illustrations._loaded.arts)
        illustrations.choose_art(SCENES[0])  # loads the embedding model
        query_ms = statistics.median(
            _median_ms(lambda scene=scene: illustrations.choose_art(scene), 5) for scene in SCENES
        )
        [art] = illustrations.choose_art(["volcano"])
        render_ms = {
            size: _median_ms(lambda size=size: illustrations.render_art(art, size), 5)
            for size in (512, 1024)
        }
    print("| illustrations | value |")
    print("| --- | --- |")
    print(f"| index build ({pieces} pieces, one thread) | {build_s:.1f} s |")
    print(f"| index load from disk | {load_ms:.0f} ms |")
    print(f"| choose_art per scene (median) | {query_ms:.0f} ms |")
    print(f"| render_art 512 px ({art.id}) | {render_ms[512]:.0f} ms |")
    print(f"| render_art 1024 px | {render_ms[1024]:.0f} ms |")


if __name__ == "__main__":
    main()
