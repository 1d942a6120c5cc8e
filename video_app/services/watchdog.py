"""Nothing stuck: the pipeline tasks workers hold, their signs of life, and what happens to a run
whose worker died.

`tasks.PipelineTask` records each task it runs (`task_started`), touches it while it runs
(`keep_alive`) and forgets it when it ends (`task_ended`). A process that dies leaves its row.
The broker hands the task out again (Redis: once the dead worker's lease runs out, see
`project_core/celery_steps.py`), and the new start counts another attempt; a task that keeps
killing its worker fails its run after `RUN_MAX_TASK_ATTEMPTS`. `fail_lost_runs`, run by every
worker every minute, fails the runs whose task nobody picked up again within `RUN_LOST_AFTER_S`
(a broker that lost the message), so the creator can retry and the plan's render slot is free.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from ..ai_services.errors import EngineError
from ..models import PIPELINE_STEPS, TaskInHand
from . import pipeline

logger = logging.getLogger(__name__)


class WorkerLost(EngineError):
    """The process running a step died, or kept dying, before the step finished."""


def step_label(step: str) -> str:
    """How a message to the creator names a step ("pictures", "render")."""
    return PIPELINE_STEPS.get(step, step).lower()


def task_started(
    *, task_id: str, task_name: str, project_id: int, run: int, step: str, worker: str
) -> int:
    """Record a task in hand; returns its attempt (1, or more after a process died with it)."""
    now = timezone.now()
    fields = {
        "project_id": project_id,
        "run_number": run,
        "step": step,
        "worker": worker,
        "started_at": now,
        "heartbeat_at": now,
    }
    try:
        with transaction.atomic():
            TaskInHand.objects.create(task_id=task_id, task_name=task_name, **fields)
        return 1
    except IntegrityError:  # a row left by a process that died holding this very task
        lost = TaskInHand.objects.filter(task_id=task_id, task_name=task_name)
        lost.update(attempts=F("attempts") + 1, **fields)
        return lost.values_list("attempts", flat=True).first() or 1


def task_ended(*, task_id: str, task_name: str) -> None:
    TaskInHand.objects.filter(task_id=task_id, task_name=task_name).delete()


def fail_crash_looping_run(*, project_id: int, run: int, step: str, attempts: int) -> None:
    action = step_label(step)
    pipeline.fail_run(
        project_id,
        run,
        step,
        WorkerLost(
            f"The server stopped {attempts - 1} times while working on the {action}, so it was not "
            "tried again. This video may need more memory than the server has: try fewer or "
            "shorter scenes, then retry.",
            detail=f"{attempts - 1} worker processes died running the {step} step",
        ),
    )


@contextmanager
def keep_alive(*, task_id: str, task_name: str) -> Iterator[None]:
    """Touch the task's row every RUN_HEARTBEAT_S from a thread while the block runs."""
    stop = threading.Event()

    def beat():
        while not stop.wait(settings.RUN_HEARTBEAT_S):
            try:
                TaskInHand.objects.filter(task_id=task_id, task_name=task_name).update(
                    heartbeat_at=timezone.now()
                )
            except Exception:  # a missed beat is retried; the task itself must not fail
                logger.warning("Heartbeat of task %s not recorded", task_id, exc_info=True)
            finally:
                connection.close()  # this thread's own connection (back to the pool)

    thread = threading.Thread(target=beat, name=f"heartbeat-{task_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_lost_runs() -> list[int]:
    """Fail the runs whose task in hand went RUN_LOST_AFTER_S without a sign of life; returns
    the projects whose run was failed. Rows of runs already over are simply dropped."""
    cutoff = timezone.now() - timedelta(seconds=settings.RUN_LOST_AFTER_S)
    failed = []
    for lost in TaskInHand.objects.filter(heartbeat_at__lt=cutoff).order_by("heartbeat_at"):
        # One transaction: a page that sees the run failed never sees its task still in hand.
        with transaction.atomic():
            project = pipeline.current_project(lost.project_id, lost.run_number)
            if project is not None and project.is_busy:
                action = step_label(lost.step)
                pipeline.fail_run(
                    lost.project_id,
                    lost.run_number,
                    lost.step,
                    WorkerLost(
                        f"The server working on this video stopped during the {action} step. "
                        "Retry: what was already made is kept.",
                        detail=f"{lost.task_name} [{lost.task_id}] on {lost.worker or 'a worker'}: "
                        f"no heartbeat since {lost.heartbeat_at.isoformat()}, not handed out again",
                    ),
                )
                failed.append(lost.project_id)
            lost.delete()
    if failed:
        logger.warning("Failed runs whose worker was lost: projects %s", failed)
    return failed
