"""How often the API may be called. Most calls count against the caller's plan
(`Plan.api_requests_per_hour`: Free 100, Creator 1000, Pro 5000 to start), per user in Django's
cache over a sliding hour; reading a project's status has its own per-minute limit instead."""

import fcntl
import time
from pathlib import Path

from django.core.cache import cache, caches
from django.core.cache.backends.filebased import FileBasedCache
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from payments_app.services import plan_for

HOUR_S = 60 * 60
STATUS_CALLS_PER_WINDOW = 60
STATUS_WINDOW_S = 60


class PlanRateThrottle(SimpleRateThrottle):
    scope = "plan"

    def __init__(self):
        # No rate from settings: it is the caller's plan's, known once the request is.
        self.plan = None

    def allow_request(self, request, view):
        if not request.user.is_authenticated:
            return True  # refused by the permission check, or reading the public schema
        self.plan = plan_for(request.user)
        self.num_requests, self.duration = self.plan.api_requests_per_hour, HOUR_S
        self.rate = f"{self.num_requests}/hour"
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}

    def throttle_failure(self):
        raise Throttled(
            wait=self.wait(),
            detail=(
                f"Your {self.plan.name} plan allows {self.num_requests} API requests an hour, "
                "and you have made them. Upgrade for more."
            ),
        )


class StatusPollThrottle(BaseThrottle):
    """A project's status, per user: at most STATUS_CALLS_PER_WINDOW calls in each clock minute,
    not counted in the plan's hourly budget.

    Scripts follow a run by polling status (every 2 s is 1,800 calls an hour) and each poll is a
    cheap read, so the plan's budget would stop them within minutes; this limit only stops a
    runaway loop. A fixed window counted with `cache.add` + `cache.incr`, not DRF's history list
    (read, append, write back), so that calls made at once are all counted: in Redis both are
    single commands. The file cache of the embedded mode does both as read-then-write, so there
    the count is taken under an exclusive lock on a file beside the cache (every process on the
    machine shares it).
    """

    timer = staticmethod(time.time)  # tests move the clock

    def allow_request(self, request, view):
        if not request.user.is_authenticated:
            return True  # refused by the permission check
        now = self.timer()
        window = int(now // STATUS_WINDOW_S)
        calls = self._count_call(f"throttle_status_{request.user.pk}_{window}")
        if calls <= STATUS_CALLS_PER_WINDOW:
            return True
        raise Throttled(
            wait=(window + 1) * STATUS_WINDOW_S - now,
            detail=(
                f"You may check a project's status {STATUS_CALLS_PER_WINDOW} times a minute. "
                "For live progress, open the WebSocket /ws/projects/<id>/ instead of polling: "
                "it sends the state at every change."
            ),
        )

    @classmethod
    def _count_call(cls, key: str) -> int:
        backend = caches["default"]
        if not isinstance(backend, FileBasedCache):
            return cls._add_and_incr(key)
        lock_path = Path(backend._dir) / "counters.lock"  # the backend's folder (LOCATION)
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            return cls._add_and_incr(key)

    @staticmethod
    def _add_and_incr(key: str) -> int:
        """This call's number in its window. The key outlives its window (a minute from its first
        call, which is at or after the window's start), so a count never restarts mid-window."""
        cache.add(key, 0, STATUS_WINDOW_S)
        try:
            return cache.incr(key)
        except ValueError:  # evicted between the two calls (the file cache culls at random)
            cache.add(key, 1, STATUS_WINDOW_S)
            return 1
