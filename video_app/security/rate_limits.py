"""Counting calls in a time window, shared by every process: the API's throttles
(`api/throttling.py`) and new accounts per address (`views/pages.signup`).

Counts live in Django's cache and move by `add` + `incr` only, never read-then-write: DRF's own
throttle reads its history list, appends and writes it back, so calls made at once overwrote
each other and 130 of 160 parallel calls got through a limit of 100. In Redis, the cache of both
run modes, each is one command.
"""

from django.conf import settings
from django.core.cache import cache

HOUR_S = 60 * 60


def count_call(name: str, now: float, window_s: int, *, start_s: float | None = None):
    """(the window's start, this call's number in it). Without `start_s` the window starts at
    the first call of `name` and lasts `window_s`."""
    if start_s is None:
        # The first call's time wins; the others read it (a key evicted meanwhile: from now).
        cache.add(f"{name}_start", now, window_s)
        start_s = cache.get(f"{name}_start", now)
    # The count's key outlives its window by a minute, so it never restarts mid-window.
    key = f"{name}_{int(start_s)}"
    cache.add(key, 0, window_s + 60)
    try:
        return start_s, cache.incr(key)
    except ValueError:  # evicted between the two calls
        cache.add(key, 1, window_s + 60)
        return start_s, 1


def signup_wait_s(address: str, now: float) -> float:
    """Seconds until `address` may make another account, 0 when it may now (this one counts).
    Against scripted sign-ups (each account gets the Free plan's renders); generous enough for
    an office or a classroom behind one address."""
    started_s, made = count_call(f"signups_{address}", now, HOUR_S)
    if made <= settings.SIGNUPS_PER_ADDRESS_PER_HOUR:
        return 0.0
    return max(1.0, started_s + HOUR_S - now)
