"""Tell whether the production-stack servers named by DATABASE_URL and REDIS_URL answer.

`make test` runs `python -m tests.stack` to decide whether to run the suite a second time
against them. Exit status 0: both answer; 1: at least one does not (the reason is printed).
"""

import os
import sys

import environ
import psycopg
import redis


def unreachable_services() -> list[str]:
    problems = []
    database = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    try:
        # The maintenance database: the test database is created by the test run itself.
        psycopg.connect(
            dbname="postgres",
            user=database["USER"],
            password=database["PASSWORD"],
            host=database["HOST"],
            port=database["PORT"] or 5432,
            connect_timeout=3,
        ).close()
    except psycopg.Error as error:
        problems.append(f"PostgreSQL at {database['HOST']}:{database['PORT']}: {error}")
    try:
        redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        problems.append(f"Redis at {os.environ['REDIS_URL']}: {error}")
    return problems


if __name__ == "__main__":
    problems = unreachable_services()
    for problem in problems:
        print(f"not reachable: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)
