"""How often the API may be called. Most calls count against the caller's plan
(`Plan.api_requests_per_hour`: Free 100, Creator 1000, Pro 5000 to start), per user, over an hour
from the first call; reading a project's status has its own per-minute limit instead.

Both count with `security.rate_limits.count_call`: atomic in the cache, whatever runs at once.
"""

import time

from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from payments_app.services import plan_for

from ..security.rate_limits import HOUR_S, count_call

STATUS_CALLS_PER_WINDOW = 60
STATUS_WINDOW_S = 60


class PlanRateThrottle(BaseThrottle):
    """The plan's calls per hour. The hour starts at the first call (its start is kept in the
    cache) and its calls are counted under a key named after that start, so a new hour starts a
    new count however the two keys expire."""

    timer = staticmethod(time.time)  # tests move the clock

    def allow_request(self, request, view):
        if not request.user.is_authenticated:
            return True  # refused by the permission check, or reading the public schema
        plan = plan_for(request.user)
        now = self.timer()
        started_s, calls = count_call(f"throttle_plan_{request.user.pk}", now, HOUR_S)
        if calls <= plan.api_requests_per_hour:
            return True
        raise Throttled(
            wait=started_s + HOUR_S - now,
            detail=(
                f"Your {plan.name} plan allows {plan.api_requests_per_hour} API requests an hour, "
                "and you have made them. Upgrade for more."
            ),
        )


class StatusPollThrottle(BaseThrottle):
    """A project's status, per user: at most STATUS_CALLS_PER_WINDOW calls in each clock minute,
    not counted in the plan's hourly budget.

    Scripts follow a run by polling status (every 2 s is 1,800 calls an hour) and each poll is a
    cheap read, so the plan's budget would stop them within minutes; this limit only stops a
    runaway loop.
    """

    timer = staticmethod(time.time)  # tests move the clock

    def allow_request(self, request, view):
        if not request.user.is_authenticated:
            return True  # refused by the permission check
        now = self.timer()
        window_start_s = now // STATUS_WINDOW_S * STATUS_WINDOW_S  # clock minutes
        _, calls = count_call(
            f"throttle_status_{request.user.pk}", now, STATUS_WINDOW_S, start_s=window_start_s
        )
        if calls <= STATUS_CALLS_PER_WINDOW:
            return True
        raise Throttled(
            wait=window_start_s + STATUS_WINDOW_S - now,
            detail=(
                f"You may check a project's status {STATUS_CALLS_PER_WINDOW} times a minute. "
                "For live progress, open the WebSocket /ws/projects/<id>/ instead of polling: "
                "it sends the state at every change."
            ),
        )
