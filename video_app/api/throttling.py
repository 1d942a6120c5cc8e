"""API calls per hour as the caller's plan allows (`Plan.api_requests_per_hour`: Free 100,
Creator 1000, Pro 5000 to start), counted per user in Django's cache over a sliding hour."""

from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from payments_app.services import plan_for

HOUR_S = 60 * 60


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
