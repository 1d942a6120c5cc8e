"""`make_video` end to end, as a creator runs it with no keys: wall time and peak memory.

    .venv/bin/python -m tests.bench_make_video [--repo DIR] [--runs N]

For each case (a ~60 s script in English and in Spanish, and a topic with a description so the
script writer runs too) it starts `manage.py make_video` in a fresh data folder, samples the
memory of the whole process tree (Python and the FFmpeg it starts) every 50 ms, and prints a
Markdown table. `--repo` runs another checkout of the product (an older commit, to compare).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "bench_scripts"
CASES = (
    (
        "script, English, 60 s, Shorts",
        ["--script-file", str(SCRIPTS / "bees-en.txt"), "--platform", "youtube_shorts"],
    ),
    (
        "script, English, 60 s, YouTube",
        ["--script-file", str(SCRIPTS / "bees-en.txt"), "--platform", "youtube"],
    ),
    (
        "script, Spanish, 60 s, Shorts",
        [
            "--script-file",
            str(SCRIPTS / "abejas-es.txt"),
            "--platform",
            "youtube_shorts",
            "--language",
            "es",
        ],
    ),
    (
        "topic, English, Shorts",
        [
            "--topic",
            "Why bees matter",
            "--description",
            "Bees pollinate about a third of the crops we eat. A hive can hold "
            "tens of thousands of bees. Planting wildflowers and avoiding "
            "pesticides helps them.",
            "--platform",
            "youtube_shorts",
        ],
    ),
    (
        "topic, Spanish, Shorts",
        [
            "--topic",
            "Por qué importan las abejas",
            "--description",
            "Las abejas polinizan cerca de un tercio de los cultivos que "
            "comemos. Una colmena puede tener decenas de miles de abejas. "
            "Plantar flores silvestres y evitar pesticidas las ayuda.",
            "--platform",
            "youtube_shorts",
            "--language",
            "es",
        ],
    ),
)


def bench_env(data_dir: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_DATA_DIR": data_dir,
        "DJANGO_READ_DOT_ENV_FILE": "False",
        "DJANGO_SETTINGS_MODULE": "project_core.settings.dev",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):  # the embedded default, as a creator runs it
        env.pop(name, None)
    return env


def migrated_database(repo: Path, folder: Path) -> Path:
    """A database set up once, as `make run` or a first `make_video` sets it up (a minute of
    migrations): each run starts from a copy, so its time is the video's alone."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=repo,
        env=bench_env(str(folder)),
        check=True,
    )
    return folder / "db.sqlite3"


def run_case(repo: Path, arguments: list[str], database: Path) -> tuple[float, float]:
    """Seconds and peak MB of the process tree for one make_video run in a fresh data folder
    (a set-up database, nothing made before: no cache, no models loaded)."""
    with tempfile.TemporaryDirectory(prefix="bench-make-video-") as scratch:
        shutil.copyfile(database, Path(scratch) / "db.sqlite3")
        env = bench_env(scratch)
        command = [sys.executable, "manage.py", "make_video", *arguments, "--out", scratch]
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        peak = 0
        root = psutil.Process(process.pid)
        while process.poll() is None:
            peak = max(peak, _tree_rss(root))
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        output = process.stdout.read()
        if process.returncode != 0:
            raise SystemExit(f"make_video failed:\n{output[-3000:]}")
        return elapsed, peak / 2**20


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        for process in [root, *root.children(recursive=True)]:
            total += process.memory_info().rss
    except psutil.Error:
        pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", type=Path, default=HERE.parent)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", help="run the cases whose name contains this")
    options = parser.parse_args()
    setup = Path(tempfile.mkdtemp(prefix="bench-make-video-db-"))
    database = migrated_database(options.repo, setup)
    print("| case | seconds (median) | peak MB, process tree |")
    print("|---|---:|---:|")
    for name, arguments in CASES:
        if options.only and options.only not in name:
            continue
        results = [run_case(options.repo, arguments, database) for _ in range(options.runs)]
        seconds = statistics.median(r[0] for r in results)
        peak = max(r[1] for r in results)
        print(f"| {name} | {seconds:.1f} | {peak:.0f} |", flush=True)
    shutil.rmtree(setup, ignore_errors=True)


if __name__ == "__main__":
    main()
