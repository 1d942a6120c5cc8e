"""Many requests at once from real processes, for the tests of limits that must hold under
concurrency (tests/payments_app/test_render_limits.py, tests/video_app/api/test_throttling.py).

`burst(...)` starts PROCESSES copies of this module (`python -m tests.burst <job>`), each with
THREADS threads and database connections of its own; all of them wait for one signal, then make
their calls at once. Each child prints one JSON list: the outcome of each call.
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]


def burst(*, env: dict, folder: Path, job: dict, processes: int, calls: int) -> list[str]:
    """Outcomes of `calls` calls made by `processes` processes at once (the test waits)."""
    folder.mkdir(parents=True, exist_ok=True)
    go = folder / "go"
    per_process = [calls // processes + (n < calls % processes) for n in range(processes)]
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.burst",
                json.dumps(
                    {
                        **job,
                        "calls": count,
                        "offset": sum(per_process[:n]),
                        "ready": str(folder / f"ready-{n}"),
                        "go": str(go),
                    }
                ),
            ],
            cwd=BASE_DIR,
            # Enough connections for every thread at once (the pool would make them queue).
            env={**env, "DATABASE_POOL_MAX_SIZE": str(count + 1)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, count in enumerate(per_process)
    ]
    deadline = time.monotonic() + 180
    while not all((folder / f"ready-{n}").exists() for n in range(processes)):
        if time.monotonic() > deadline or any(child.poll() is not None for child in children):
            for child in children:
                child.kill()
            raise RuntimeError("\n".join(child.communicate()[1] for child in children))
        time.sleep(0.05)
    go.touch()
    outcomes = []
    for child in children:
        out, err = child.communicate(timeout=180)
        if child.returncode != 0:
            raise RuntimeError(err)
        outcomes += json.loads(out.strip().splitlines()[-1])
    return outcomes


def _start_renders(job: dict, count: int):
    """One render request per project id, through the service every path calls."""
    from video_app.models import VideoProject
    from video_app.services import dispatch, projects

    # Decided and committed for real; the runs are not handed to a worker (none is asked for).
    dispatch.queue_run = lambda **run: None
    ids = iter(job["project_ids"][job["offset"] : job["offset"] + count])
    lock = threading.Lock()

    def call() -> str:
        with lock:
            project_id = next(ids)
        project = VideoProject.objects.get(pk=project_id)
        try:
            projects.run_start(project=project, kind="render")
        except projects.RenderRefused as refused:
            return f"refused:{refused.refusal.limit}"
        except projects.ProjectBusy:
            return "busy"
        return "started"

    return call


def _call_api(job: dict, count: int):
    from django.conf import settings
    from rest_framework.test import APIClient

    # The counts live in the settings' cache (Redis), under the test's own prefix.
    settings.CACHES["default"]["KEY_PREFIX"] = job["cache_prefix"]

    def call() -> str:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {job['token']}")
        return str(client.get(job["path"]).status_code)

    return call


def main() -> None:
    job = json.loads(sys.argv[1])
    import django

    django.setup()
    from django.db import connections

    make = {"renders": _start_renders, "api": _call_api}[job["kind"]]
    call = make(job, job["calls"])
    outcomes: list[str] = []
    signal = threading.Barrier(job["calls"] + 1)

    def thread_main():
        signal.wait()
        try:
            outcomes.append(call())
        except Exception as error:  # reported, not hidden: the test shows the outcome
            outcomes.append(f"error:{type(error).__name__}:{error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=thread_main) for _ in range(job["calls"])]
    for thread in threads:
        thread.start()
    Path(job["ready"]).touch()
    while not Path(job["go"]).exists():
        time.sleep(0.002)
    signal.wait()
    for thread in threads:
        thread.join()
    sys.stdout.write("\n" + json.dumps(outcomes) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_core.settings.test")
    main()
