"""Sign-in throttling on django-axes (settings: "# Authentication"). Axes records failed sign-ins
in the database and refuses sign-ins past a limit; this module says whose failures they are (the
account, whatever identifier was typed), the limit of each (an account, an address), what a
success clears, and the sentence a person reads: "Too many failed sign-ins. Try again in 15
minutes."
"""

import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.forms.utils import ErrorDict
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from ..auth_backends import user_for_identifier


def failure_limits() -> dict[str, int]:
    """Failures allowed within the lockout time, for each of AXES_LOCKOUT_PARAMETERS."""
    return {
        "username": settings.LOGIN_FAILURES_PER_ACCOUNT,
        "ip_address": settings.LOGIN_FAILURES_PER_ADDRESS,
    }


def account_key(request, credentials: dict | None) -> str | None:
    """Whose failure it is: the account the identifier names, so that "ann" and her email count
    together; an identifier that names no account, as typed (ignoring case and spaces)."""
    if credentials is not None:
        identifier = credentials.get("username")
    else:
        identifier = getattr(request, "data", request.POST).get("username")
    if not identifier:
        return None
    user = user_for_identifier(identifier)
    return user.get_username() if user is not None else identifier.strip().lower()


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' check, except for sign-ins made by code on the server (management commands, the
    shell): they have no request, hence no address to count, and are not refused."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class LoginThrottleHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        # Axes compares one count with one limit (AXES_FAILURE_LIMIT, the account's); an address
        # has a larger allowance, so its failures are given in the account's terms.
        limits = failure_limits()
        worst = 0.0
        for parameter, attempts in self._recent_attempts(request, credentials):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            worst = max(worst, failures / limits[parameter])
        return math.floor(worst * settings.AXES_FAILURE_LIMIT)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        # Only the account's own failures. Axes would also clear every failure from the address,
        # so an attacker signing in to their own account between guesses would never be stopped.
        count, _ = AccessAttempt.objects.filter(
            username=get_client_username(request, credentials)
        ).delete()
        return count

    def retry_after_s(self, request, credentials: dict | None = None) -> int:
        """Seconds until no limit refuses this sign-in: the failures that reach a limit, newest
        first, stop counting one lockout time after the last of them."""
        limits, now, cool_off = failure_limits(), timezone.now(), get_cool_off(request)
        wait_s = 0.0
        for parameter, attempts in self._recent_attempts(request, credentials):
            failures = 0
            for attempt in attempts.order_by("-attempt_time"):
                failures += attempt.failures_since_start
                if failures >= limits[parameter]:
                    ends_at = attempt.attempt_time + cool_off
                    wait_s = max(wait_s, (ends_at - now).total_seconds())
                    break
        return math.ceil(wait_s)

    def _recent_attempts(self, request, credentials):
        attempts = self.get_user_attempts(request, credentials)
        return zip(settings.AXES_LOCKOUT_PARAMETERS, attempts, strict=True)


def lockout_sentence(retry_after_s: int) -> str:
    minutes = max(1, math.ceil(retry_after_s / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-ins. Try again in {minutes} {unit}."


def lockout_response(request, original_response=None, credentials: dict | None = None):
    """The sign-in page again (ours or admin's), its error replaced by when to try again."""
    handler = AxesProxyHandler.get_implementation()
    retry_after_s = max(1, handler.retry_after_s(request, credentials))
    sentence = lockout_sentence(retry_after_s)
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if form is None:
        response = HttpResponse(sentence, status=429, content_type="text/plain; charset=utf-8")
    else:
        form._errors = ErrorDict()
        form.add_error(None, sentence)
        response = TemplateResponse(
            request, original_response.template_name, context, status=429
        ).render()
    response["Retry-After"] = str(retry_after_s)
    return response
