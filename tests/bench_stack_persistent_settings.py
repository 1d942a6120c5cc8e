"""Production settings as they were before the connection pool, for `make bench-stack`'s
comparison only (tests/bench_stack.py, mode "persistent"): each thread keeps its own connection
for 60 s, checked before reuse; no pool. Run with DATABASE_POOL_MAX_SIZE=0."""

from project_core.settings.prod import *  # noqa: F403
from project_core.settings.prod import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
