"""Fault injection for tests/faults, loaded into a test worker by `celery worker --include
tests.faults.pause`. With FAULT_PAUSE_AFTER naming a task, the first run of that task does its
work and its follow-up tasks are queued, then it stops before the broker hears that it finished,
and creates FAULT_MARKER to say so. A worker killed there costs the most: the work is done, and
the broker hands the task out again.
"""

import os
import time

from celery import signals


@signals.task_postrun.connect
def pause_before_acknowledging(sender=None, task=None, **kwargs):
    name, marker = os.environ.get("FAULT_PAUSE_AFTER"), os.environ.get("FAULT_MARKER")
    if not name or not marker or task.name != name:
        return
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:  # paused once already: this delivery goes on
        return
    while True:  # until the test kills this worker
        time.sleep(60)
