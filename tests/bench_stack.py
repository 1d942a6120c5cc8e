"""Load benchmark of the production stack (`make bench-stack`; figures in BENCHMARKS.md).

Its own PostgreSQL database and Redis db are migrated and seeded (50 users with a few projects
and an API token each); static files are collected and the Dockerfile's gunicorn is started as
in tests/production_stack.py. Then simulated users (threads, no think time) log in through the
form and go round dashboard, project page, status JSON, a hashed static file and the API's
status call, for a fixed time, once per database-connection setting:

- pool: the settings' default, a psycopg pool per process (DATABASE_POOL_MAX_SIZE=4);
- no-pool: DATABASE_POOL_MAX_SIZE=0, a connection per request, closed after it;
- persistent: the setting before the pool (CONN_MAX_AGE=60, no pool), through
  tests/bench_stack_persistent_settings.py; opt-in (--modes), since it can take most of the
  server's connections from everyone else using it.

Per page: p50/p95/p99 latency as the client sees it, throughput, errors by kind, the peak of
PostgreSQL connections to the database, the gunicorn process tree's CPU time, and the SQL
queries each page makes (counted in this process with Django's test client on the same data).
Traffic goes to 127.0.0.1 only. Results: var/bench/stack-<mode>.json.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import environ
import psutil
import psycopg
import redis

from tests.production_stack import (
    BASE_DIR,
    ConnectionWatch,
    GunicornServer,
    Hit,
    SimulatedUser,
    StackClient,
    browse,
    collect_static,
    production_env,
)

PASSWORD = "bench-password-not-secret-2026"
STATIC_FILE = "vendor/bootstrap/bootstrap.min.css"
# mode: (the server's environment on top of production_env, what that means)
MODES = {
    "pool": ({}, "psycopg pool per process, DATABASE_POOL_MAX_SIZE default (4), CONN_MAX_AGE 0"),
    "no-pool": ({"DATABASE_POOL_MAX_SIZE": "0"}, "no pool, CONN_MAX_AGE 0"),
    "persistent": (
        {
            "DATABASE_POOL_MAX_SIZE": "0",
            "DJANGO_SETTINGS_MODULE": "tests.bench_stack_persistent_settings",
        },
        "the former setting: no pool, CONN_MAX_AGE 60, CONN_HEALTH_CHECKS",
    ),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/videocreator_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--projects-per-user", type=int, default=3)
    parser.add_argument("--duration-s", type=float, default=60)
    # Users arrive over this long (a spawn rate): 50 logins at the same instant are a burst of
    # password hashing that the stack tests cover on their own.
    parser.add_argument("--ramp-s", type=float, default=10)
    parser.add_argument("--modes", default="pool,no-pool", help=f"any of {', '.join(MODES)}")
    parser.add_argument("--out", type=Path, default=BASE_DIR / "var" / "bench")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    modes = args.modes.split(",")
    unknown = set(modes) - set(MODES)
    if unknown:
        raise SystemExit(f"unknown modes {sorted(unknown)}: choose from {', '.join(MODES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as work:
        env = production_env(
            database_url=args.database_url,
            redis_url=args.redis_url,
            static_root=Path(work) / "staticfiles",
            data_dir=Path(work) / "data",
        )
        prepare(env, args)
        manifest = step("collectstatic", collect_static, env, env["DJANGO_STATIC_ROOT"])
        users = step("seed", seed, args)
        queries = step("queries per page", queries_per_page, users[0], manifest)
        release_connections()
        for mode in modes:
            result = run_mode(mode, env, args, users, manifest)
            result["queries_per_page"] = queries
            path = args.out / f"stack-{mode}.json"
            path.write_text(json.dumps(result, indent=2))
            print(summary(result), f"\n(raw figures: {path})\n", flush=True)


def step(label, function, *args):
    print(f"{label}...", flush=True)
    started = time.perf_counter()
    value = function(*args)
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)
    return value


# --- The database, Redis and the seeded users -------------------------------------------------


def prepare(env: dict[str, str], args: argparse.Namespace) -> None:
    """The bench's own database, created and migrated as compose's `migrate` service does; its
    Redis db emptied (sessions, cache and throttle counts of an earlier run); then Django set up
    in this process with the same production settings, for seeding and counting queries."""
    create_database(args.database_url)
    step("migrate", run_manage, env, "migrate", "--noinput", "--verbosity", "0")
    redis.Redis.from_url(args.redis_url).flushdb()
    os.environ.update(env)
    import django

    django.setup()


def create_database(database_url: str) -> None:
    config = environ.Env.db_url_config(database_url)
    with psycopg.connect(
        dbname="postgres",
        user=config["USER"],
        password=config["PASSWORD"] or None,
        host=config["HOST"] or "localhost",
        port=config["PORT"] or 5432,
        autocommit=True,
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{config["NAME"]}"')


def run_manage(env: dict[str, str], *arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=BASE_DIR, env=env, check=True)


def seed(args: argparse.Namespace) -> list[dict]:
    """bench-user-<n> with `projects_per_user` projects and a token each (kept between runs)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from tests.video_app.factories import make_project

    password_hash = make_password(PASSWORD)  # hashed once: each hash is deliberately slow
    users = []
    for number in range(args.users):
        user, _ = get_user_model().objects.get_or_create(
            username=f"bench-user-{number}",
            defaults={"email": f"bench-user-{number}@example.com", "password": password_hash},
        )
        for index in range(user.video_projects.count(), args.projects_per_user):
            make_project(user, title=f"Bench project {index + 1}")
        token, _ = Token.objects.get_or_create(user=user)
        project = user.video_projects.order_by("pk").first()
        users.append({"username": user.username, "project_id": project.pk, "token": token.key})
    return users


def release_connections() -> None:
    """This process's connections (and its pool, which keeps one open) closed: during a run
    the only connections to the database are the server's."""
    from django.db import connections

    for connection in connections.all():
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()


# --- SQL queries per page, in this process ----------------------------------------------------


def queries_per_page(user: dict, manifest: dict[str, str]) -> dict[str, int]:
    """Queries each page makes, counted with Django's test client under the same production
    settings and data. Each page is asked twice and the second counted: what a user who is
    already browsing costs (the first may fill caches)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    https = {"secure": True, "headers": {"X-Forwarded-Proto": "https"}}
    browser = Client(SERVER_NAME="127.0.0.1", **https)
    script = Client(SERVER_NAME="127.0.0.1", **https)
    pages = SimulatedUser(
        user["username"], PASSWORD, user["project_id"], f"/static/{manifest[STATIC_FILE]}"
    ).pages()

    def count(request) -> int:
        request()
        with CaptureQueriesContext(connection) as queries:
            response = request()
        if response.status_code not in (200, 302):
            raise RuntimeError(f"{response.status_code} while counting queries: {response}")
        return len(queries)

    login = {"username": user["username"], "password": PASSWORD}
    counts = {"login": count(lambda: browser.post("/accounts/login/", login))}
    for page, path in [(page, path) for page, path, _options in pages]:
        counts[page] = count(lambda path=path: browser.get(path))
    api = f"/api/v1/projects/{user['project_id']}/status/"
    token = {"Authorization": f"Token {user['token']}"}
    counts["api_status"] = count(lambda: script.get(api, headers={**https["headers"], **token}))
    return counts


# --- One run under load -----------------------------------------------------------------------


def run_mode(mode, env, args, users, manifest) -> dict:
    print(f"== {mode}: {args.users} users for {args.duration_s:g} s", flush=True)
    server_env = {**env, **MODES[mode][0]}
    with GunicornServer(server_env) as server:
        server.wait_until_ready()
        visitors = [
            SimulatedUser(
                user["username"],
                PASSWORD,
                user["project_id"],
                f"/static/{manifest[STATIC_FILE]}",
                user["token"],
            )
            for user in users[: args.users]
        ]
        warm_up(server, visitors[0])
        cpu_before = cpu_snapshot(server)
        started = time.monotonic()
        with ConnectionWatch(env["DATABASE_URL"]) as watch:
            hits = drive(server, visitors, started + args.duration_s, args.ramp_s)
        elapsed_s = time.monotonic() - started
        cpu = {
            key: round(value - cpu_before[key], 1) for key, value in cpu_snapshot(server).items()
        }
    result = result_of(mode, args, server, hits, elapsed_s, cpu, watch.peak)
    result["DATABASE_POOL_MAX_SIZE"] = server_env.get("DATABASE_POOL_MAX_SIZE", "4 (default)")
    return result


def cpu_snapshot(server: GunicornServer) -> dict[str, float]:
    """CPU seconds so far: gunicorn's process tree, this process (the simulated users), the
    local PostgreSQL, and the whole machine busy and stolen (all cores). The machine is shared:
    what none of those used went to someone else, and says how far to trust the figures."""
    machine = psutil.cpu_times()
    client = psutil.Process().cpu_times()
    return {
        "gunicorn_s": server.cpu_seconds(),
        "simulated_users_s": client.user + client.system,
        "postgresql_s": postgresql_cpu_seconds(),
        "machine_busy_s": sum(
            getattr(machine, name) for name in ("user", "nice", "system", "irq", "softirq")
        ),
        "machine_stolen_s": machine.steal,
    }


def warm_up(server: GunicornServer, visitor: SimulatedUser) -> None:
    """A few rounds first, so each worker has loaded its templates and opened its pool."""
    client = StackClient(server.url)
    for _ in range(server.workers * 2):
        browse(client, visitor, rounds=1)
    client.close()


def drive(server, visitors, until: float, ramp_s: float) -> list[Hit]:
    hits: list[Hit] = []
    lock = threading.Lock()

    def visit(index: int, visitor: SimulatedUser) -> None:
        time.sleep(ramp_s * index / len(visitors))
        client = StackClient(server.url)
        try:
            visit_hits = browse(client, visitor, until=until)
        finally:
            client.close()
        with lock:
            hits.extend(visit_hits)

    threads = [
        threading.Thread(target=visit, args=(index, visitor))
        for index, visitor in enumerate(visitors)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return hits


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def postgresql_cpu_seconds() -> float:
    """CPU of a PostgreSQL server on this machine: its live processes, plus what its backends
    that have exited used (counted in the postmaster's children). 0 if it runs elsewhere."""
    total = 0.0
    for process in psutil.process_iter(["name", "ppid"]):
        if process.info["name"] != "postgres":
            continue
        try:
            times = process.cpu_times()
            total += times.user + times.system
            if psutil.Process(process.info["ppid"]).name() != "postgres":  # the postmaster
                total += times.children_user + times.children_system
        except psutil.Error:
            continue  # a backend that exited meanwhile: its time is in the postmaster's
    return total


def result_of(mode, args, server, hits, elapsed_s, cpu, peak) -> dict:
    from video_app.management.commands.bench_engine import machine_facts

    by_page: dict[str, list[Hit]] = defaultdict(list)
    for hit in hits:
        by_page[hit.page].append(hit)
    pages = {}
    for page, page_hits in by_page.items():
        times_ms = sorted(hit.elapsed_s * 1000 for hit in page_hits if not hit.error)
        pages[page] = {
            "requests": len(page_hits),
            "errors": sum(1 for hit in page_hits if hit.error),
            **{
                f"p{share}_ms": round(percentile(times_ms, share / 100), 1) if times_ms else None
                for share in (50, 95, 99)
            },
        }
    return {
        "mode": mode,
        "database_connections": MODES[mode][1],
        "machine": machine_facts(),
        "command": f"make bench-stack (python -m tests.bench_stack --modes {mode})",
        "server": " ".join(server.command),
        "users": args.users,
        "duration_s": round(elapsed_s, 1),
        "ramp_s": args.ramp_s,
        "requests": len(hits),
        "throughput_rps": round(len(hits) / elapsed_s, 1),
        "pages": pages,
        "errors": dict(Counter(f"{hit.page}: {hit.error}" for hit in hits if hit.error)),
        # Why the server failed, from its tracebacks (a chained cause counts too).
        "server_exceptions": dict(server.exceptions.most_common(5)),
        "peak_pg_connections": peak,
        "cpu": cpu,
        "gunicorn_cpu_ms_per_request": round(cpu["gunicorn_s"] * 1000 / max(len(hits), 1), 2),
    }


def summary(result: dict) -> str:
    lines = [
        f"{result['mode']}: {result['throughput_rps']} req/s, {result['requests']} requests in "
        f"{result['duration_s']} s, peak {result['peak_pg_connections']} PostgreSQL connections, "
        f"gunicorn CPU {result['cpu']['gunicorn_s']} s, errors {result['errors'] or 'none'}",
        f"server exceptions: {result['server_exceptions'] or 'none'}",
        "| page | requests | p50 ms | p95 ms | p99 ms | errors | SQL queries |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for page, figures in result["pages"].items():
        lines.append(
            f"| {page} | {figures['requests']} | {figures['p50_ms']} | {figures['p95_ms']} | "
            f"{figures['p99_ms']} | {figures['errors']} | "
            f"{result['queries_per_page'].get(page, '')} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
