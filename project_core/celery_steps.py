"""Worker steps that keep work from being stranded by a dead worker (added in `celery.py`).

- `KeepLeases`: a task a worker has taken stays in Redis (the private one of the embedded default
  or the production stack's), unacknowledged, until the task ends, and is handed out again once
  it has been held longer than the visibility timeout (`BROKER_LEASE_S`). A living worker renews
  the lease of every task it holds, four times per lease, so the timeout can be short (a dead
  worker's tasks come back within minutes) whatever the task's length (a render may take hours).
- `Watchdog`: every worker asks, once a minute, for the runs whose work was lost to be resumed
  (or, after a few tries, failed) and stale temporary files deleted
  (`video_app.tasks.watch_runs_task`; the database work runs in a pool process, never in
  this one, whose database connections its forked children would inherit).
"""

import logging
import time

from celery import bootsteps
from celery.worker import state
from django.conf import settings

logger = logging.getLogger(__name__)

WATCH_RUNS_TASK = "video_app.tasks.watch_runs_task"


def renew_leases(consumer) -> None:
    channel = consumer.task_consumer.channel
    index_key = channel.unacked_index_key
    # Tasks waiting for a pool process, running, or waiting for their retry's countdown.
    held = (*state.reserved_requests, *state.scheduled_requests)
    tags = {request.message.delivery_tag for request in held}
    if not tags:
        return
    try:
        with channel.conn_or_acquire() as client:
            # XX: only renew; a lease that ended meanwhile (the task was acknowledged) stays gone.
            client.zadd(index_key, dict.fromkeys(tags, time.time()), xx=True)
    except Exception:  # the next renewal tries again; the worker itself must not stop
        logger.warning("Broker leases not renewed", exc_info=True)


def ask_for_watch(consumer, interval_s: float) -> None:
    try:
        # A request still queued a minute later is superseded by the next one.
        consumer.app.send_task(WATCH_RUNS_TASK, queue="light", expires=interval_s)
    except Exception:
        logger.warning("Watchdog pass not queued", exc_info=True)


class RepeatingStep(bootsteps.StartStopStep):
    """Calls `action(consumer)` every `interval_s()` on the worker's timer, in this process."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.entry = None

    def start(self, c):
        self.entry = c.timer.call_repeatedly(self.interval_s(), self.action, (c,), priority=10)

    def stop(self, c):
        if self.entry is not None:
            self.entry.cancel()
            self.entry = None


class KeepLeases(RepeatingStep):
    @staticmethod
    def interval_s() -> float:
        return settings.BROKER_LEASE_S / 4

    action = staticmethod(renew_leases)


class Watchdog(RepeatingStep):
    @staticmethod
    def interval_s() -> float:
        return max(1.0, min(60.0, settings.RUN_LOST_AFTER_S / 4))

    @classmethod
    def action(cls, consumer) -> None:
        ask_for_watch(consumer, cls.interval_s())
