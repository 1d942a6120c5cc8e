"""HTTP for cloud providers: one client with the product's rules, so every provider behaves the
same way when a service is slow, busy or refuses.

- Every call has a timeout.
- Transient answers (429, 500, 502, 503, 504, dropped connections, timeouts) are retried with
  exponential backoff and full jitter, honouring Retry-After (capped, so a worker never sleeps
  for an hour).
- Permanent answers fail at once with a sentence for the creator: `ProviderRefused` for a bad
  key or a refused request (the pipeline doesn't retry those), `ProviderFailed` when the service
  stayed unavailable.
- Keys never reach logs or messages: headers are not logged and `key`-like query parameters are
  masked in every detail.
- Each call is reported to `usage` (provider, units, outcome, time) for cost analytics.
"""

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from . import usage
from .errors import ProviderFailed, ProviderRefused

logger = logging.getLogger(__name__)

TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})
SECRET_PARAM = re.compile(r"((?:api_?)?key|token|signature|secret)=[^&\s]+", re.IGNORECASE)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # the first try and three retries
    backoff_s: float = 1.0  # doubled after each failure
    max_backoff_s: float = 20.0
    max_retry_after_s: float = 60.0  # a longer Retry-After is treated as "unavailable"


DEFAULT_POLICY = RetryPolicy()
sleep = time.sleep  # replaced in tests, so that retries don't make them slow


def mask(text: str) -> str:
    return SECRET_PARAM.sub(r"\1=***", text)


class ProviderHttp:
    """A client for one provider's API. `label` is the provider as a person names it."""

    def __init__(
        self,
        *,
        label: str,
        capability: str,
        base_url: str,
        headers: dict | None = None,
        timeout_s: float = 30.0,
        policy: RetryPolicy = DEFAULT_POLICY,
    ):
        self.label = label
        self.capability = capability
        self.policy = policy
        self.client = httpx.Client(
            base_url=base_url,
            headers=headers or {},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=True,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        units: float = 1,
        unit: str = "requests",
        subject: str = "",
        to_file: "FileTarget | None" = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """The response of a successful call (2xx). `subject` names what the call was for in
        messages ("scene 3"); `units`/`unit` are what it costs ("characters", "images").
        With `to_file`, a successful body is streamed into that file instead of memory."""
        started = time.monotonic()
        outcome = "error"
        try:
            response = self._with_retries(method, url, subject, to_file, **kwargs)
            outcome = "ok"
            return response
        except ProviderRefused:
            outcome = "refused"
            raise
        finally:
            usage.record(
                usage.CallRecord(
                    provider=self.label,
                    capability=self.capability,
                    units=units,
                    unit=unit,
                    outcome=outcome,
                    duration_s=time.monotonic() - started,
                )
            )

    def _with_retries(
        self, method: str, url: str, subject: str, to_file: "FileTarget | None", **kwargs
    ) -> httpx.Response:
        last_problem = ""
        for attempt in range(1, self.policy.attempts + 1):
            try:
                response = self._send(method, url, to_file, **kwargs)
            except (httpx.TimeoutException, httpx.TransportError) as error:
                last_problem = f"{type(error).__name__}: {mask(str(error))}"
                wait_s = self._backoff(attempt)
            else:
                if response.is_success:
                    return response
                if response.status_code not in TRANSIENT_STATUS:
                    raise self.refusal(response, subject)
                last_problem = f"HTTP {response.status_code}"
                wait_s = self.retry_after(response) or self._backoff(attempt)
                if wait_s > self.policy.max_retry_after_s:
                    break
            if attempt < self.policy.attempts:
                logger.info(
                    "%s %s failed (%s); retrying in %.1f s",
                    self.label,
                    mask(url),
                    last_problem,
                    wait_s,
                )
                sleep(wait_s)
        raise ProviderFailed(
            f"{self.label} is not answering right now{_for(subject)}. Try again in a few minutes.",
            detail=f"{method} {mask(url)}: {last_problem} after {self.policy.attempts} attempts",
        )

    def _send(self, method: str, url: str, to_file: "FileTarget | None", **kwargs):
        if to_file is None:
            return self.client.request(method, url, **kwargs)
        with self.client.stream(method, url, **kwargs) as response:
            if response.is_success:
                to_file.write(response)
            else:
                response.read()  # an error's body is read as usual, for its reason
        return response

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.policy.max_backoff_s, self.policy.backoff_s * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not security

    # Services with their own conventions (a bad key answered as 400, the wait in the body)
    # override these two in a subclass.

    def retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            moment = email.utils.parsedate_to_datetime(value)
            return max(0.0, moment.timestamp() - time.time()) if moment else None

    def refusal(self, response: httpx.Response, subject: str) -> ProviderRefused:
        reason = _reason(response)
        if response.status_code in (401, 403):
            message = (
                f"{self.label} refused our key{_for(subject)}. Ask your administrator "
                "to check the API key."
            )
        else:
            message = f"{self.label} refused the request{_for(subject)}: {reason}"
        return ProviderRefused(
            message, detail=f"HTTP {response.status_code} {mask(str(response.url))}: {reason}"
        )


@dataclass(frozen=True)
class FileTarget:
    """Where a streamed body goes, and the most it may weigh: `too_large()` is raised before a
    byte is written when Content-Length says so, else as soon as the count passes the cap."""

    path: Path
    max_bytes: int
    too_large: Callable[[], Exception]

    def write(self, response: httpx.Response) -> None:
        if int(response.headers.get("Content-Length") or 0) > self.max_bytes:
            raise self.too_large()
        written = 0
        with self.path.open("wb") as file:  # "wb": a retried download starts over
            for chunk in response.iter_bytes():
                written += len(chunk)
                if written > self.max_bytes:
                    raise self.too_large()
                file.write(chunk)


def _for(subject: str) -> str:
    return f" for {subject}" if subject else ""


def _reason(response: httpx.Response) -> str:
    """The service's own explanation, from the common JSON error shapes, else the status."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return mask(text[:200]) if text else response.reason_phrase
    for path in (
        ("error", "message"),
        ("message",),
        ("error",),
        ("errors", 0),
        ("detail",),
        ("name",),
    ):
        value: Any = body
        try:
            for key in path:
                value = value[key]
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(value, str | int | float):
            return mask(str(value))[:300]
    return response.reason_phrase
