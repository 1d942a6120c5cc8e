"""How fast the local script writer is, and what it writes, in English and Spanish.

    .venv/bin/python -m tests.bench_local_writer [--threads 1 2] [--languages en es]

For each thread count a process of its own loads the packaged model (load time, peak memory)
and writes a 30 s and a 60 s script per language: seconds per script (repair included), the
model's calls and tokens per second. Spanish is written by the model here even though the
product gives Spanish to the template writer (local.LANGUAGES): this is how that choice
is checked again. Prints a markdown table; the scripts go to var/bench/local_writer/.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_core.settings.dev")

BRIEFS = {
    "en": {
        "topic": "How honeybees make honey",
        "description": "Bees collect nectar from flowers. They store it in wax cells in the hive "
        "and fan it with their wings until the water evaporates. Then they seal the cells with "
        "wax. A hive can hold tens of thousands of bees.",
        "template": "explainer",
    },
    "es": {
        "topic": "Cómo se forman los volcanes",
        "description": "El magma sube desde el interior de la Tierra por grietas en la corteza. "
        "Cuando sale a la superficie se llama lava. Las capas de lava y ceniza enfriadas forman "
        "la montaña con el tiempo.",
        "template": "explainer",
        "language": "es",
    },
}
DURATIONS_S = (30, 60)
OUT_DIR = Path("var/bench/local_writer")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--languages", nargs="+", default=list(BRIEFS))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        return measure(options.threads[0], options.languages)
    rows = []
    for threads in options.threads:
        command = [sys.executable, "-m", "tests.bench_local_writer", "--child"]
        command += ["--threads", str(threads), "--languages", *options.languages]
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.extend(json.loads(line) for line in result.stdout.splitlines() if line.startswith("{"))
    print(
        "| threads | language | target | seconds | calls | tokens/s | load s | peak RSS MB | ok |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['threads']} | {row['language']} | {row['target_s']} s | {row['seconds']:.1f} "
            f"| {row['calls']} | {row['tokens_per_s']:.1f} | {row['load_s']:.1f} "
            f"| {row['peak_rss_mb']:.0f} | {row['outcome']} |"
        )
    print(f"\nScripts: {OUT_DIR}/")


def measure(threads: int, languages: list[str]) -> None:
    os.environ["SCRIPT_MODEL_THREADS"] = str(threads)
    django.setup()
    from video_app.engine.core import packaged_models, usage
    from video_app.engine.core.errors import ProviderFailed
    from video_app.engine.script import ScriptRequest, local

    local.LANGUAGES.setdefault("es", "Spanish")  # measured, not offered: see above
    calls: list[usage.CallRecord] = []
    usage.add_sink(calls.append)
    started = time.monotonic()
    local.loaded_model(packaged_models.require(local.MODEL_NAME) / "model.gguf")
    load_s = time.monotonic() - started
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    writer = local.LocalScriptWriter()
    for language in languages:
        for target_s in DURATIONS_S:
            request = ScriptRequest(**BRIEFS[language], target_duration_s=target_s)
            calls.clear()
            started = time.monotonic()
            try:
                text, outcome = writer.write(request).as_text(), "yes"
            except ProviderFailed as error:
                text, outcome = f"{error.message}\n{error.detail}", "no"
            seconds = time.monotonic() - started
            (OUT_DIR / f"{language}-{target_s}s-{threads}t.txt").write_text(text)
            model_calls = [call for call in calls if call.provider == local.LABEL]
            tokens = sum(call.units for call in model_calls)
            busy_s = sum(call.duration_s for call in model_calls) or 1.0
            row = {
                "threads": threads,
                "language": language,
                "target_s": target_s,
                "seconds": seconds,
                "calls": len(model_calls),
                "tokens_per_s": tokens / busy_s,
                "load_s": load_s,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "outcome": outcome,
            }
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
