"""Nothing stuck: the pipeline tasks workers hold, their signs of life, what happens to a run
whose work vanished or that was cancelled, and the temporary files dead work leaves behind.

`tasks.PipelineTask` records each task it runs (`task_started`), touches it while it runs and
watches for its run being cancelled (`keep_alive`), and forgets it when it ends (`task_ended`).
A process that dies leaves its row; the broker hands the task out again (once the dead worker's
lease runs out, see `project_core/celery_steps.py`), and the new start counts another attempt: a
task that keeps killing its worker fails its run after `RUN_MAX_TASK_ATTEMPTS`. `watch_runs`, run
by every worker every minute, finds the runs whose work is nowhere (no task in hand showing life,
no message in the broker, no sign of life for `RUN_LOST_AFTER_S`) and queues them again from their
last finished step, `RUN_MAX_RESUMES` times, then fails them; and it deletes stale temporary files.
"""

import base64
import json
import logging
import os
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..engine.core import ffmpeg
from ..engine.core.errors import EngineError
from ..models import PIPELINE_STEPS, PipelineStep, TaskInHand, VideoProject
from . import pipeline, projects

logger = logging.getLogger(__name__)

BUSY = VideoProject.BUSY_STATES
# A deleted project's work folder, or an empty folder in storage, untouched this long is gone for
# good: a deleted project has no running task (deleting waits for its run to end or be cancelled,
# and a cancelled run's FFmpeg is killed within seconds), and storage fills a folder it creates
# at once.
ABANDONED_AFTER_S = 300
# Folders of local storage that hold users' files (files.py, models' upload_to).
STORAGE_AREAS = ("projects", "media", "voices")


class WorkerLost(EngineError):
    """The process running a step died, or kept dying, before the step finished."""


def step_label(step: str) -> str:
    """How a message to the creator names a step ("media", "render")."""
    return PIPELINE_STEPS.get(step, step).lower()


# --- tasks in hand ------------------------------------------------------------------------------


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
    _seen(project_id, run)
    try:
        with transaction.atomic():
            TaskInHand.objects.create(task_id=task_id, task_name=task_name, **fields)
        return 1
    except IntegrityError:  # a row left by a process that died holding this very task
        lost = TaskInHand.objects.filter(task_id=task_id, task_name=task_name)
        lost.update(attempts=F("attempts") + 1, **fields)
        return lost.values_list("attempts", flat=True).first() or 1


def task_ended(*, task_id: str, task_name: str, project_id: int, run: int) -> None:
    # After the task's outcome is decided (done, or a retry because the database dropped its
    # connection): this bookkeeping must not replace that outcome with an error of its own, so
    # a dropped connection is replaced once.
    for last_try in (False, True):
        try:
            TaskInHand.objects.filter(task_id=task_id, task_name=task_name).delete()
            # The run's next task may be published only after this: the watchdog's grace
            # starts now.
            return _seen(project_id, run)
        except (OperationalError, InterfaceError):
            if last_try:  # the row stays: a new start of this task counts one more attempt
                return logger.exception("Could not record the end of task %s", task_id)
            logger.warning("Database connection lost at the end of task %s: reconnecting", task_id)
            connection.close()


def _seen(project_id: int, run: int) -> None:
    VideoProject.objects.filter(pk=project_id, run_number=run).update(run_seen_at=timezone.now())


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


def run_was_stopped(project_id: int, run: int) -> bool:
    """Whether the run was cancelled, failed or superseded: its running work should stop. (A
    project this connection cannot see, such as one a test has not committed, is not stopped.)"""
    return (
        VideoProject.objects.filter(pk=project_id)
        .exclude(run_number=run, run_state__in=BUSY)
        .exists()
    )


@contextmanager
def keep_alive(*, task_id: str, task_name: str, project_id: int, run: int) -> Iterator[None]:
    """While the block runs, a thread touches the task's row every RUN_HEARTBEAT_S and looks
    every RUN_CANCEL_CHECK_S whether the run was stopped: then it kills this process's FFmpeg
    (`ffmpeg.stop_runs`), which ends the step with `ffmpeg.Stopped`."""
    stop = threading.Event()
    interval_s = min(settings.RUN_CANCEL_CHECK_S, settings.RUN_HEARTBEAT_S)

    def watch():
        next_beat = time.monotonic() + settings.RUN_HEARTBEAT_S
        while not stop.wait(interval_s):
            try:
                if not ffmpeg.stop_requested() and run_was_stopped(project_id, run):
                    logger.info("Project %s run %s stopped: its FFmpeg is killed", project_id, run)
                    ffmpeg.stop_runs()
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + settings.RUN_HEARTBEAT_S
                    TaskInHand.objects.filter(task_id=task_id, task_name=task_name).update(
                        heartbeat_at=timezone.now()
                    )
            except Exception:  # a missed beat is retried; the task itself must not fail
                logger.warning("Heartbeat of task %s not recorded", task_id, exc_info=True)
            finally:
                connection.close()  # this thread's own connection (back to the pool)

    thread = threading.Thread(target=watch, name=f"heartbeat-{task_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


# --- what the broker holds ----------------------------------------------------------------------


def broker_tasks() -> dict[tuple[int, int], list[str]]:
    """The pipeline tasks the broker (Redis) holds, waiting in a queue or handed out and not yet
    acknowledged (a dead worker's come back when their lease runs out), by (project id, run):
    their task ids. Raises if the broker cannot be read."""
    held: dict[tuple[int, int], list[str]] = defaultdict(list)
    with current_app.connection_for_read() as broker:
        channel = broker.default_channel
        client = channel.client
        keys = [
            channel._q_for_pri(queue.name, priority)
            for queue in current_app.conf.task_queues
            for priority in channel.priority_steps
        ]
        # Queues first, then the handed-out: a message moves from the one to the other.
        raw = [message for key in keys for message in client.lrange(key, 0, -1)]
        raw += [json.loads(entry)[0] for entry in client.hvals(channel.unacked_key)]
    # The run's pipeline tasks only: a run's email, say, is no sign that its work goes on.
    names = {name for name, task in current_app.tasks.items() if getattr(task, "step", "")}
    for message in raw:
        if found := _pipeline_task(message, names):
            project_id, run, task_id = found
            held[project_id, run].append(task_id)
    return held


def _pipeline_task(message, names: set[str]) -> tuple[int, int, str] | None:
    """(project id, run, task id) of a message of one of the tasks `names`, else None."""
    try:
        payload = json.loads(message) if isinstance(message, str | bytes) else message
        headers = payload.get("headers") or {}
        if headers.get("task") not in names:
            return None
        body = payload["body"]
        if payload.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        if len(args) >= 2 and all(isinstance(value, int) for value in args[:2]):
            return args[0], args[1], headers["id"]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        logger.warning("Unreadable message in the broker", exc_info=True)
    return None


def revoke_run_tasks(*, project_id: int, run: int) -> None:
    """Ask every worker to drop the run's queued tasks and any it holds (a cancelled run). Best
    effort: a task that still starts finds its run over and does nothing."""
    ids = set(
        TaskInHand.objects.filter(project_id=project_id, run_number=run).values_list(
            "task_id", flat=True
        )
    )
    try:
        ids.update(broker_tasks().get((project_id, run), ()))
        if ids:
            current_app.control.revoke(sorted(ids))
    except Exception:
        logger.warning("Tasks of project %s run %s not revoked", project_id, run, exc_info=True)


# --- lost runs ----------------------------------------------------------------------------------


def _lost_after() -> datetime:
    return timezone.now() - timedelta(seconds=settings.RUN_LOST_AFTER_S)


def lost_run_candidates() -> list[VideoProject]:
    """Busy runs with no sign of life for RUN_LOST_AFTER_S and no task in hand showing one."""
    cutoff = _lost_after()
    silent = Q(run_seen_at__lt=cutoff) | Q(run_seen_at__isnull=True, run_started_at__lt=cutoff)
    living = TaskInHand.objects.filter(heartbeat_at__gte=cutoff).values_list(
        "project_id", "run_number"
    )
    alive = set(living)
    candidates = VideoProject.objects.filter(silent, run_state__in=BUSY)
    return [project for project in candidates if (project.pk, project.run_number) not in alive]


def _drop_rows_of_runs_over() -> None:
    """Tasks in hand left by dead processes of runs that ended meanwhile (failed by another
    task, cancelled, marked failed by staff): nothing to resume, nothing to keep."""
    silent = TaskInHand.objects.filter(heartbeat_at__lt=_lost_after())
    busy = set(VideoProject.objects.filter(run_state__in=BUSY).values_list("pk", "run_number"))
    over = [row.pk for row in silent if (row.project_id, row.run_number) not in busy]
    TaskInHand.objects.filter(pk__in=over).delete()


def _still_silent(project: VideoProject) -> bool:
    cutoff = _lost_after()
    seen = project.run_seen_at or project.run_started_at
    in_hand = TaskInHand.objects.filter(
        project=project, run_number=project.run_number, heartbeat_at__gte=cutoff
    )
    return seen is not None and seen < cutoff and not in_hand.exists()


def recover_lost_runs() -> dict[str, list[int]]:
    """Queue again (or, past RUN_MAX_RESUMES, fail) the runs whose work is nowhere: returns the
    projects {"resumed": [...], "failed": [...]}."""
    outcome: dict[str, list[int]] = {"resumed": [], "failed": []}
    _drop_rows_of_runs_over()
    if not lost_run_candidates():
        return outcome
    try:
        # Twice, a moment apart: a message being handed out is briefly in neither place.
        held = broker_tasks()
        time.sleep(0.5)
        held.update(broker_tasks())
    except Exception:  # no broker, no verdict: a run waiting in a queue must not be resumed
        logger.warning(
            "The broker could not be read; lost runs are looked for later", exc_info=True
        )
        return outcome
    for candidate in lost_run_candidates():
        if (candidate.pk, candidate.run_number) in held:
            continue  # waiting in a queue, or to be handed out again once a lease runs out
        verdict = _recover(candidate.pk, candidate.run_number)
        if verdict:
            outcome[verdict].append(candidate.pk)
    if outcome["resumed"] or outcome["failed"]:
        logger.warning("Runs whose work was lost: %s", outcome)
    return outcome


def _recover(project_id: int, run: int) -> str:
    # One transaction under the project's lock: a page never sees the run failed or resumed with
    # its lost tasks still in hand, and a cancel or a finishing task waits for the verdict.
    with transaction.atomic():
        project = (
            VideoProject.objects.select_for_update()
            .filter(pk=project_id, run_number=run, run_state__in=BUSY)
            .first()
        )
        if project is None or not _still_silent(project):
            return ""
        silent = TaskInHand.objects.filter(project_id=project_id, run_number=run)
        lost = silent.order_by("-heartbeat_at").first()
        step = lost.step if lost else _unfinished_step(project)
        silent.delete()
        if project.run_resumes < settings.RUN_MAX_RESUMES:
            projects.run_resume(project=project)
            return "resumed"
        action = step_label(step)
        where = (
            f"{lost.task_name} [{lost.task_id}] on {lost.worker or 'a worker'}"
            if lost
            else "no task"
        )
        pipeline.fail_run(
            project_id,
            run,
            step,
            WorkerLost(
                f"The server working on this video stopped during the {action} step, and "
                f"{project.run_resumes} more tries did not finish it. Retry: what was already "
                "made is kept.",
                detail=f"{where}: no sign of life, nothing in the broker, "
                f"resumed {project.run_resumes} times",
            ),
        )
        return "failed"


def _unfinished_step(project: VideoProject) -> str:
    step = (
        PipelineStep.objects.filter(project=project, run_number=project.run_number)
        .exclude(state=PipelineStep.State.DONE)
        .order_by("position")
        .first()
    )
    return step.name if step else project.run_kind


# --- stale files --------------------------------------------------------------------------------


def clean_stale_files() -> list[Path]:
    """Delete what dead work left: temporary outputs of killed encodes and downloads untouched
    for RENDER_PARTIAL_STALE_S, work folders of deleted projects, and empty folders in local
    storage. Returns what was deleted."""
    cache = Path(settings.RENDER_CACHE_DIR)
    now = time.time()
    deleted: list[Path] = []
    if cache.is_dir():
        temporary = [*cache.rglob(f".*{ffmpeg.PARTIAL_MARK}*"), *cache.glob("storage/**/*.part")]
        for path in temporary:
            if _untouched_for(path, settings.RENDER_PARTIAL_STALE_S, now) and path.is_file():
                path.unlink(missing_ok=True)
                deleted.append(path)
        work = cache / "projects"
        folders = [f for f in work.iterdir() if f.name.isdigit()] if work.is_dir() else []
        existing = set(
            VideoProject.objects.filter(pk__in=[int(f.name) for f in folders]).values_list(
                "pk", flat=True
            )
        )
        for folder in folders:
            if int(folder.name) not in existing and _tree_untouched_for(folder, now):
                shutil.rmtree(folder, ignore_errors=True)
                deleted.append(folder)
    if isinstance(default_storage, FileSystemStorage):
        deleted += _remove_empty_folders(Path(default_storage.location), now)
    if deleted:
        logger.info("Deleted %d stale temporary files and folders", len(deleted))
    return deleted


def _untouched_for(path: Path, seconds: float, now: float) -> bool:
    try:
        return now - path.stat().st_mtime > seconds
    except FileNotFoundError:
        return False


def _tree_untouched_for(folder: Path, now: float) -> bool:
    return all(
        _untouched_for(path, ABANDONED_AFTER_S, now) for path in [folder, *folder.rglob("*")]
    )


def _remove_empty_folders(root: Path, now: float) -> list[Path]:
    removed: list[Path] = []
    for area in STORAGE_AREAS:
        for folder, subfolders, names in os.walk(root / area, topdown=False):
            path = Path(folder)
            children = [path / name for name in subfolders]
            if path == root / area or names or any(child.exists() for child in children):
                continue
            # Removing its empty children just touched it: that is no sign of a new file.
            emptied_here = any(child in removed for child in children)
            if emptied_here or _untouched_for(path, ABANDONED_AFTER_S, now):
                try:
                    path.rmdir()
                except OSError:  # a file arrived meanwhile
                    continue
                removed.append(path)
    return removed


# --- the periodic pass --------------------------------------------------------------------------


def watch_runs() -> dict[str, list]:
    """The watchdog's pass (every worker queues one a minute): lost runs, then stale files."""
    outcome: dict[str, list] = dict(recover_lost_runs())
    outcome["deleted"] = clean_stale_files()
    return outcome
