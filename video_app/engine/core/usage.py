"""What each call to a paid provider cost: provider, units (characters, images, tokens),
outcome and time. The engine has no database; the product registers a sink that stores the
records (`video_app.services.provider_usage`), and tests may register their own."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallRecord:
    provider: str  # as a person names it: "Pexels", "Amazon Polly"
    capability: str  # "script" | "media" | "voice"
    units: float
    unit: str  # "requests", "characters", "images", "tokens"
    outcome: str  # "ok" | "refused" | "error"
    duration_s: float
    # Who the call was made for, as set by `attributed` (e.g. {"project_id": 7}).
    context: dict = field(default_factory=lambda: dict(_context.get()))


_context: ContextVar[dict] = ContextVar("usage_context", default={})  # noqa: B039 - never mutated


@contextmanager
def attributed(**context) -> Iterator[None]:
    """Calls made inside are recorded with `context` (the pipeline names the project)."""
    token = _context.set({**_context.get(), **context})
    try:
        yield
    finally:
        _context.reset(token)


_sinks: list[Callable[[CallRecord], None]] = []


def add_sink(sink: Callable[[CallRecord], None]) -> None:
    if sink not in _sinks:
        _sinks.append(sink)


def remove_sink(sink: Callable[[CallRecord], None]) -> None:
    if sink in _sinks:
        _sinks.remove(sink)


def record(call: CallRecord) -> None:
    """Hand the record to every sink; a failing sink never fails the call it describes."""
    for sink in list(_sinks):
        try:
            sink(call)
        except Exception:
            logger.warning("usage sink %r failed", sink, exc_info=True)
