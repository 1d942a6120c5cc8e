"""`make loadtest`: the production stack on this machine under a real load tool, and a batch of
renders through real workers (figures in BENCHMARKS.md, raw ones in var/bench/loadtest.json).

The stack is tests/production_stack.py's: the Dockerfile's gunicorn (uvicorn workers) with
production settings and collected static files, PostgreSQL and Redis, in a database and a Redis
db of its own (created afresh: the renders count against the Free plan). Two phases:

- renders: `--renders` accounts each ask for a render of a 3-scene project from the page, as a
  creator does, and two `celery worker` nodes (docker-compose.yml's command, one process each,
  the offline providers) make them all. Checked: every run completes, exactly one video per
  platform on the disk and in the database, one usage row per run, one email each, each task
  handed out once. Reported: total time and per-project time.
- pages: locust (headless; tests/loadtest_locustfile.py) runs `--users` simulated creators, each
  with a session signed in beforehand on one of those accounts, round the dashboard, the
  storyboard, the result page and the API's status call, pausing `--think-s` between pages.
  Reported per page: throughput, p50/p95/p99 against the p99 target, errors, SQL queries per
  page (bench_stack.py's count with the test client), and who used the CPU.
"""

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil

from tests import bench_stack
from tests.bench_stack import PASSWORD, STATIC_FILE, step
from tests.production_stack import (
    BASE_DIR,
    CeleryWorker,
    ConnectionWatch,
    GunicornServer,
    SimulatedUser,
    StackClient,
    collect_static,
    production_env,
)

LOCUSTFILE = BASE_DIR / "tests" / "loadtest_locustfile.py"
# Three short scenes: a render takes seconds, so 20 of them fit in a few minutes on 2 cores.
SCRIPT = (
    "[a sunrise over the sea] The tide brings new shells every morning.\n\n"
    "[children on the sand] Children collect them before breakfast.\n\n"
    "[a shell in a hand] Each shell was once a home."
)
PAGES = ("dashboard", "storyboard", "result", "api_status")
RENDER_TASK = "video_app.tasks.render_task"
EXPORT_TASK = "video_app.tasks.export_task"
START_TASK = "video_app.tasks.start_run_task"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/videocreator_load"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--phases", default="renders,pages")
    parser.add_argument("--renders", type=int, default=20, help="accounts, one render each")
    parser.add_argument("--render-workers", type=int, default=2)
    parser.add_argument("--platforms", default="instagram_square,youtube_shorts")
    parser.add_argument("--render-timeout-s", type=float, default=900)
    # A creator's dashboard lists a few more projects than the one being worked on.
    parser.add_argument("--drafts-per-account", type=int, default=5)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration-s", type=int, default=60)
    parser.add_argument("--think-s", default="0.5,1.5", help="pause between pages: min,max")
    parser.add_argument("--p99-target-ms", type=float, default=150)
    parser.add_argument("--out", type=Path, default=BASE_DIR / "var" / "bench")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    phases = args.phases.split(",")
    args.out.mkdir(parents=True, exist_ok=True)
    load_before = [round(load, 2) for load in psutil.getloadavg()]
    result = {"command": " ".join(["python -m tests.loadtest", *sys.argv[1:]])}
    with tempfile.TemporaryDirectory(prefix="loadtest-") as work:
        env = production_env(
            database_url=args.database_url,
            redis_url=args.redis_url,
            # Kept between runs: collecting into it again only copies what changed.
            static_root=BASE_DIR / "var" / "loadtest" / "staticfiles",
            data_dir=Path(work) / "data",
            SITE_URL=f"https://127.0.0.1:{args.port}",
        )
        bench_stack.prepare(env, args)
        result["machine"] = machine_state(load_before)
        manifest = step("collectstatic", collect_static, env, env["DJANGO_STATIC_ROOT"])
        step("removing the last run's accounts", remove_accounts)
        accounts = step("seed", seed, args)
        bench_stack.release_connections()
        with GunicornServer(env, port=args.port) as server:
            server.wait_until_ready()
            result["server"] = " ".join(server.command)
            if "renders" in phases:
                result["renders"] = renders_phase(env, args, server, accounts)
                print(renders_summary(result["renders"]), flush=True)
            if "pages" in phases:
                result["pages"] = pages_phase(env, args, server, accounts, manifest, work)
                print(pages_summary(result["pages"]), flush=True)
            result["server_exceptions"] = dict(server.exceptions.most_common(5))
    path = args.out / "loadtest.json"
    path.write_text(json.dumps(result, indent=2))
    print(f"(raw figures: {path})", flush=True)
    failures = [*result.get("renders", {}).get("problems", []), *page_failures(result)]
    if failures:
        raise SystemExit("loadtest failed:\n- " + "\n- ".join(failures))


def machine_state(load_before: list[float]) -> dict:
    """The machine, and how busy it was before the run (1, 5 and 15 minute load averages): the
    figures are only as good as its idleness."""
    from video_app.management.commands.bench_engine import machine_facts

    return {**machine_facts(), "load_average_before": load_before}


# --- The database and the accounts ------------------------------------------------------------


def remove_accounts() -> None:
    """The accounts of an earlier run go with everything they own: their renders would count
    against the Free plan's renders per period, and their projects would change the pages.
    (Dropping the database instead would cost a migration from scratch, minutes when busy.)"""
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username__startswith="load-user-").delete()


def seed(args: argparse.Namespace) -> list[dict]:
    """load-user-<n>, each with a token, the project to render and a few drafts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from tests.video_app.factories import make_project

    password_hash = make_password(PASSWORD)  # hashed once: each hash is deliberately slow
    platforms = args.platforms.split(",")
    accounts = []
    for number in range(args.renders):
        user = get_user_model().objects.create(
            username=f"load-user-{number}",
            email=f"load-user-{number}@example.com",
            password=password_hash,
        )
        for draft in range(args.drafts_per_account):
            make_project(user, title=f"Draft {draft + 1} of load user {number}", script="")
        title = f"Load project {number}"
        project = make_project(user, title=title, script=SCRIPT, platforms=platforms)
        accounts.append(
            {
                "username": user.username,
                "email": user.email,
                "project_id": project.pk,
                "title": title,
                "token": Token.objects.create(user=user).key,
            }
        )
    return accounts


# --- Renders through two workers --------------------------------------------------------------


def renders_phase(env, args, server: GunicornServer, accounts: list[dict]) -> dict:
    print(f"== renders: {len(accounts)} projects, {args.render_workers} workers", flush=True)
    # INFO: the workers log each task they are handed; the console backend prints each email.
    worker_env = {**env, "DJANGO_LOG_LEVEL": "INFO"}
    workers = [
        CeleryWorker(worker_env, name=f"load-{number}") for number in range(args.render_workers)
    ]
    try:
        for worker in workers:
            worker.wait_until_ready()
        cpu_before = sum(worker.cpu_seconds() for worker in workers)
        started = time.monotonic()
        for account in accounts:
            ask_for_render(server, account)
        asked_s = time.monotonic() - started
        wait_for_renders(accounts, started + args.render_timeout_s)
        total_s = time.monotonic() - started
        worker_cpu_s = sum(worker.cpu_seconds() for worker in workers) - cpu_before
    finally:
        for worker in workers:
            worker.stop()
    received = sum((worker.received() for worker in workers), Counter())
    output = "".join(line for worker in workers for line in worker.output)
    report = render_report(args, accounts, received, output)
    report.update(
        workers=f"{len(workers)} nodes of: {' '.join(workers[0].command)}",
        asking_s=round(asked_s, 1),
        total_s=round(total_s, 1),
        worker_cpu_s=round(worker_cpu_s, 1),
    )
    return report


def ask_for_render(server: GunicornServer, account: dict) -> None:
    """The creator signs in, opens the render page and presses Render."""
    client = StackClient(server.url)
    try:
        login = client.log_in(account["username"], PASSWORD)
        if login.status_code != 302:
            raise RuntimeError(f"{account['username']} could not sign in: {login.status_code}")
        path = f"/projects/{account['project_id']}/render/"
        client.get(path)
        answer = client.post_form(path, {})
        if answer.status_code != 302 or answer.headers["location"] != path:
            raise RuntimeError(
                f"render of {path} refused: {answer.status_code} {answer.text[:500]}\n"
                + server.output_tail(60)
            )
    finally:
        client.close()


def wait_for_renders(accounts: list[dict], deadline: float) -> None:
    from video_app.models import VideoProject

    ids = [account["project_id"] for account in accounts]
    busy = VideoProject.objects.filter(pk__in=ids, run_state__in=["queued", "running"])
    while busy.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"renders still busy at the deadline: {list(busy.values('pk'))}")
        time.sleep(1)


def render_report(args, accounts, received, output) -> dict:
    """Every run complete, and nothing made, counted or sent twice."""
    from django.conf import settings

    from payments_app.models import RenderUsage
    from video_app.models import PipelineStep, RenderedVideo, VideoProject

    platforms = sorted(args.platforms.split(","))
    problems = []
    asked_to_done_s, made_s = [], []
    for account in accounts:
        project = VideoProject.objects.get(pk=account["project_id"])
        label = f"project {project.pk}"
        if project.status != VideoProject.Status.COMPLETED or project.run_number != 1:
            problems.append(
                f"{label}: {project.status}/{project.run_state} run {project.run_number}: "
                f"{project.error_detail or project.error_message}"
            )
            continue
        # From the press of Render (queueing behind the others included), and from the moment a
        # worker took the run's first task.
        asked_to_done_s.append((project.run_finished_at - project.run_started_at).total_seconds())
        first_task = PipelineStep.objects.filter(project=project).order_by("started_at").first()
        made_s.append((project.run_finished_at - first_task.started_at).total_seconds())
        videos = list(RenderedVideo.objects.filter(project=project))
        if sorted(video.platform for video in videos) != platforms:
            problems.append(f"{label}: videos {[video.platform for video in videos]}")
        folder = Path(settings.MEDIA_ROOT) / "projects" / str(project.user_id) / str(project.pk)
        on_disk = sorted(path.name for path in folder.glob("*.mp4"))
        expected = sorted(Path(video.file.name).name for video in videos)
        if on_disk != expected or any(video.file.size == 0 for video in videos):
            problems.append(f"{label}: video files {on_disk}, expected {expected}")
        usage = RenderUsage.objects.filter(project_id=project.pk).count()
        if usage != 1:
            problems.append(f"{label}: {usage} usage rows")
        emails = output.count(f"To: {account['email']}\n")
        if emails != 1:
            problems.append(f"{label}: {emails} emails")
    for task, expected_count in (
        (START_TASK, len(accounts)),
        (RENDER_TASK, len(accounts)),
        (EXPORT_TASK, len(accounts) * len(platforms)),
    ):
        if received[task] != expected_count:
            problems.append(f"{task} handed out {received[task]} times, not {expected_count}")
    return {
        "projects": len(accounts),
        "completed": len(made_s),
        "platforms": platforms,
        "asked_to_done_s": spread(asked_to_done_s),
        "made_s": spread(made_s),
        "tasks_received": {task: received[task] for task in (START_TASK, RENDER_TASK, EXPORT_TASK)},
        "problems": problems,
    }


def spread(values: list[float]) -> dict:
    if not values:
        return {}
    return {
        "min": round(min(values), 1),
        "median": round(statistics.median(values), 1),
        "max": round(max(values), 1),
    }


def renders_summary(report: dict) -> str:
    asked, made = report["asked_to_done_s"], report["made_s"]
    return "\n".join(
        [
            f"renders: {report['completed']} of {report['projects']} completed in "
            f"{report['total_s']} s ({report['workers']})",
            f"per project, from Render pressed: median {asked.get('median')} s, "
            f"max {asked.get('max')} s; from a worker starting it: median {made.get('median')} s, "
            f"max {made.get('max')} s; worker CPU {report['worker_cpu_s']} s",
            f"tasks handed out: {report['tasks_received']}",
            f"problems: {report['problems'] or 'none'}",
        ]
    )


# --- Pages under locust -----------------------------------------------------------------------


def pages_phase(env, args, server: GunicornServer, accounts, manifest, work: str) -> dict:
    print(f"== pages: {args.users} users for {args.duration_s} s", flush=True)
    sessions_file = Path(work) / "sessions.json"
    sessions_file.write_text(json.dumps(signed_in_sessions(accounts, args.users)))
    queries = step("queries per page", queries_per_page, accounts[0], manifest)
    bench_stack.release_connections()
    static_path = f"/static/{manifest[STATIC_FILE]}"
    account = accounts[0]
    bench_stack.warm_up(
        server, SimulatedUser(account["username"], PASSWORD, account["project_id"], static_path)
    )
    csv_prefix = Path(work) / "locust"
    command = [
        *(sys.executable, "-m", "locust", "--locustfile", str(LOCUSTFILE)),
        *("--headless", "--host", server.url, "--users", str(args.users)),
        *("--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.duration_s}s"),
        # Figures from the moment all users are in, not during the ramp.
        *("--reset-stats", "--csv", str(csv_prefix), "--only-summary", "--loglevel", "WARNING"),
    ]
    locust_env = {**env, "LOADTEST_SESSIONS": str(sessions_file), "LOADTEST_THINK_S": args.think_s}
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before = bench_stack.cpu_snapshot(server)
    started = time.monotonic()
    with ConnectionWatch(env["DATABASE_URL"], server_pid=server.process.pid) as watch:
        completed = subprocess.run(command, cwd=BASE_DIR, env=locust_env, check=False)
    elapsed_s = time.monotonic() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {
        key: round(value - cpu_before[key], 1)
        for key, value in bench_stack.cpu_snapshot(server).items()
        if key != "simulated_users_s"  # this process: idle while locust runs
    }
    # locust is the only child of this process that ends meanwhile.
    cpu["locust_s"] = round(
        children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime,
        1,
    )
    report = locust_report(csv_prefix, queries)
    report.update(
        users=args.users,
        think_s=args.think_s,
        wall_s=round(elapsed_s, 1),
        locust_exit=completed.returncode,
        peak_pg_connections=watch.peak,
        cpu=cpu,
        p99_target_ms=args.p99_target_ms,
    )
    return report


def signed_in_sessions(accounts: list[dict], users: int) -> list[dict]:
    """A session cookie for each simulated user, signed in on the accounts in turn (several
    browsers per account when there are more users than accounts). Logging in through the form
    costs a deliberately slow password hash each: bench_stack.py measures that."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    sessions = []
    for number in range(users):
        account = accounts[number % len(accounts)]
        browser = Client()
        browser.force_login(get_user_model().objects.get(username=account["username"]))
        sessions.append(
            {**account, "sessionid": browser.cookies[settings.SESSION_COOKIE_NAME].value}
        )
    return sessions


def queries_per_page(account: dict, manifest: dict[str, str]) -> dict[str, int]:
    """bench_stack.py's count (the test client, each page asked twice and the second counted),
    for the pages it knows, plus the storyboard."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = bench_stack.queries_per_page(account, manifest)
    browser = Client(SERVER_NAME="127.0.0.1", secure=True, headers={"X-Forwarded-Proto": "https"})
    browser.login(username=account["username"], password=PASSWORD)
    storyboard = f"/projects/{account['project_id']}/storyboard/"
    browser.get(storyboard)
    with CaptureQueriesContext(connection) as captured:
        status = browser.get(storyboard).status_code
    if status != 200:
        raise RuntimeError(f"{status} for {storyboard} while counting queries")
    return {
        "dashboard": counts["dashboard"],
        "storyboard": len(captured),
        "result": counts["project"],
        "api_status": counts["api_status"],
    }


def locust_report(csv_prefix: Path, queries: dict[str, int]) -> dict:
    """Per page and in all, from locust's CSV files (its percentiles are rounded: to the ms
    below 100 ms, to 10 ms up to 1 s)."""
    pages = {}
    with open(f"{csv_prefix}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            name = "all" if row["Name"] == "Aggregated" else row["Name"]
            pages[name] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "throughput_rps": round(float(row["Requests/s"]), 1),
                **{f"p{share}_ms": float(row[f"{share}%"]) for share in (50, 95, 99)},
                "max_ms": round(float(row["Max Response Time"]), 1),
                "sql_queries": queries.get(name),
            }
    with open(f"{csv_prefix}_failures.csv", newline="") as failures:
        errors = {
            f"{row['Name']}: {row['Error']}": int(row["Occurrences"])
            for row in csv.DictReader(failures)
        }
    return {"pages": pages, "errors": errors}


def pages_summary(report: dict) -> str:
    cpu = report["cpu"]
    everyone = cpu["machine_busy_s"]
    ours = cpu["gunicorn_s"] + cpu["postgresql_s"] + cpu["locust_s"]
    lines = [
        f"pages: {report['users']} users, pause {report['think_s']} s, {report['wall_s']} s; "
        f"peak {report['peak_pg_connections']} PostgreSQL connections; errors "
        f"{report['errors'] or 'none'}",
        f"CPU s: gunicorn {cpu['gunicorn_s']}, PostgreSQL {cpu['postgresql_s']}, locust "
        f"{cpu['locust_s']}, everything else on the machine {round(everyone - ours, 1)} "
        f"(of {round(report['wall_s'] * psutil.cpu_count(), 1)} available)",
        "| page | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | SQL queries |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for page in (*PAGES, "all"):
        figures = report["pages"].get(page)
        if figures:
            lines.append(
                f"| {page} | {figures['requests']} | {figures['throughput_rps']} | "
                f"{figures['p50_ms']:g} | {figures['p95_ms']:g} | {figures['p99_ms']:g} | "
                f"{figures['max_ms']:g} | {figures['errors']} | {figures['sql_queries'] or ''} |"
            )
    lines.append(p99_verdict(report))
    return "\n".join(lines)


def page_failures(result: dict) -> list[str]:
    """Errors fail the run; latency does not (p99_verdict)."""
    report = result.get("pages")
    if not report:
        return []
    failures = [f"{kind}: {count}" for kind, count in report["errors"].items()]
    failures += [f"{page}: no requests" for page in PAGES if page not in report["pages"]]
    return failures


def p99_verdict(report: dict) -> str:
    """The target is reported, not enforced: on a shared machine a miss may be someone else's
    load (the CPU line says whose), which is for a person to judge, not for the exit code."""
    target = report["p99_target_ms"]
    missed = [
        f"{page} {report['pages'][page]['p99_ms']:g} ms"
        for page in PAGES
        if page in report["pages"] and report["pages"][page]["p99_ms"] > target
    ]
    if missed:
        return f"p99 target {target:g} ms MISSED: " + ", ".join(missed)
    return f"p99 target {target:g} ms met on every page"


if __name__ == "__main__":
    main()
