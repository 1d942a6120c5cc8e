"""Recording what analytics reads: the seeds' `VideoAnalytics`.

Every pipeline task runs inside `VideoAnalytics.track_step` (hooked once, in `tasks.PipelineTask`),
which writes one `StepPerformance` row when the task ends; a step adds what only it knows (the
provider it used, that it reused earlier work) with `VideoAnalytics.note_step`. Pages record
`UserInteraction`s. Writing either log never fails the work or the page it describes.
"""

import logging
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from celery.exceptions import Ignore, Retry
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..engine.core.errors import EngineError
from ..engine.render import render_engines
from ..models import Scene, VideoProject
from .models import StepPerformance, UserInteraction

logger = logging.getLogger(__name__)

# ru_maxrss counts kilobytes on Linux, bytes on macOS.
MAXRSS_UNITS_PER_MB = 1024 * 1024 if sys.platform == "darwin" else 1024

WIZARD_STEPS = ("script", "storyboard", "media", "voice", "render", "result")
# What the pages' beacon may report; anything else is refused.
BEACON_ACTIONS = frozenset({UserInteraction.Action.PREVIEW_PLAYED})
DOWNLOAD_KINDS = {"video": "mp4", "srt": "srt", "vtt": "vtt", "thumbnail": "thumbnail"}
FAN_OUT = "fan-out"


def run_subject(kind: str, edge: str) -> str:
    """The subject of the task that starts ("start") or ends ("end") a run of `kind`."""
    return f"{kind} run {edge}"


# Tasks that only start, fan out or end a run do no step's work: their rows are kept (the start
# tells a run's kind, the end that it finished) but left out of the per-step figures.
BOOKKEEPING = (
    Q(subject__endswith=" run start") | Q(subject__endswith=" run end") | Q(subject=FAN_OUT)
)


@dataclass(frozen=True)
class ResourceMetrics:
    """CPU time so far of this process and of the programs it ran and waited for (FFmpeg), and
    the largest resident size either reached since the process started."""

    cpu_s: float
    peak_memory_mb: float


@dataclass
class StepRecord:
    """What one task's row will say; filled in as the task runs."""

    step: str
    project_id: int | None = None
    run: int = 0
    subject: str = ""
    provider: str = ""
    worker: str = ""
    reused: bool | None = None  # None: nothing said; True only if every note said so
    skipped: bool = False
    outcome: str = ""
    error: str = ""
    started_at: datetime | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_memory_mb: float = 0.0


_current: ContextVar[StepRecord | None] = ContextVar("analytics_step", default=None)


class VideoAnalytics:
    @staticmethod
    def resource_metrics() -> ResourceMetrics:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ResourceMetrics(
            cpu_s=own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
            peak_memory_mb=max(own.ru_maxrss, children.ru_maxrss) / MAXRSS_UNITS_PER_MB,
        )

    @classmethod
    @contextmanager
    def track_step(
        cls,
        step: str,
        *,
        project_id: int | None = None,
        run: int = 0,
        scene_id: int | None = None,
        platform: str = "",
        edge: str = "",
        worker: str = "",
    ) -> Iterator[StepRecord]:
        """Measure the block as one run of `step` and log it when the block ends.

        CPU time is this process's (all its threads) plus its finished children's (FFmpeg,
        espeak), as deltas of getrusage: exact for a worker process running one task at a time
        (Celery's prefork pool). Peak memory is a high-water mark since the process started,
        the only peak the kernel reports, so it is the worker's peak so far, not this task's.
        `edge` names a task that starts ("start") or ends ("end") a run, or fans out ("fan-out").
        """
        record = StepRecord(step=step, project_id=project_id, run=run, worker=worker[:100])
        cls._describe(record, scene_id=scene_id, platform=platform, edge=edge)
        token = _current.set(record)
        before = cls.resource_metrics()
        record.started_at = timezone.now()
        start = time.perf_counter()
        try:
            yield record
        except Retry as retry:
            record.outcome = StepPerformance.Outcome.RETRY
            record.error = _error_text(retry.exc or retry)
            raise
        except Ignore:  # the task replaced itself with the next part of the canvas
            record.outcome = StepPerformance.Outcome.OK
            raise
        except BaseException as error:
            record.outcome = StepPerformance.Outcome.FAILED
            record.error = _error_text(error)
            raise
        finally:
            record.wall_s = time.perf_counter() - start
            after = cls.resource_metrics()
            record.cpu_s = max(0.0, after.cpu_s - before.cpu_s)
            record.peak_memory_mb = after.peak_memory_mb
            _current.reset(token)
            if not record.outcome:
                record.outcome = (
                    StepPerformance.Outcome.SKIPPED
                    if record.skipped
                    else StepPerformance.Outcome.REUSED
                    if record.reused
                    else StepPerformance.Outcome.OK
                )
            cls._save(record)

    @staticmethod
    def note_step(*, provider: str | None = None, reused: bool | None = None) -> None:
        """Called by a step while it is tracked: the provider it used; whether its result was
        earlier work reused (a step that reuses one part and makes another did work)."""
        record = _current.get()
        if record is None:
            return
        if provider is not None:
            record.provider = provider[:40]
        if reused is not None:
            record.reused = reused and record.reused is not False

    @staticmethod
    def _describe(record: StepRecord, *, scene_id, platform: str, edge: str) -> None:
        """Subject, default provider, and whether the task belongs to a replaced run."""
        if record.step == "render":
            record.provider = render_engines.configured_name()
        record.subject = platform[:60]
        if record.project_id is None:
            return
        try:
            project = (
                VideoProject.objects.filter(pk=record.project_id)
                .values("run_number", "run_kind")
                .first()
            )
            if project is None:  # deleted: the row outlives it, unlinked
                record.project_id, record.skipped = None, True
                return
            record.skipped = project["run_number"] != record.run
            if edge in ("start", "end"):
                record.subject = run_subject(project["run_kind"], edge)
            elif edge:
                record.subject = edge
            elif scene_id is not None:
                position = Scene.objects.filter(pk=scene_id).values_list("position", flat=True)
                position = position.first()
                record.subject = f"scene {position + 1}" if position is not None else "scene"
        except Exception:  # a measurement never stops the step: the row is merely vaguer
            logger.warning(
                "Could not describe %s of project %s", record.step, record.project_id, exc_info=True
            )

    @staticmethod
    def _save(record: StepRecord) -> StepPerformance | None:
        fields = {
            "run": record.run,
            "step": record.step[:20],
            "subject": record.subject[:60],
            "provider": record.provider[:40],
            "outcome": record.outcome,
            "error": record.error[:300],
            "started_at": record.started_at,
            "wall_s": record.wall_s,
            "cpu_s": record.cpu_s,
            "peak_memory_mb": record.peak_memory_mb,
            "worker": record.worker,
        }
        for project_id in dict.fromkeys((record.project_id, None)):
            try:
                with transaction.atomic():
                    return StepPerformance.objects.create(project_id=project_id, **fields)
            except Exception:  # the log must never fail the step it describes
                # The project may have been deleted meanwhile: once more, unlinked.
                logger.warning("Step performance of %s not recorded", record.step, exc_info=True)
        return None

    @staticmethod
    def track_user_interaction(
        *, user, action: str, project=None, detail: str = ""
    ) -> UserInteraction | None:
        try:
            with transaction.atomic():
                return UserInteraction.objects.create(
                    user=user, project=project, action=action, detail=detail[:60]
                )
        except Exception:  # a page never fails because its visit could not be counted
            logger.warning("Interaction %s of user %s not recorded", action, user.pk, exc_info=True)
            return None

    @classmethod
    def track_wizard_step(cls, *, user, project, step: str) -> None:
        """The owner reached a wizard page: counted once per user, project and step a day (the
        funnel counts who got how far, not how often a page was reloaded)."""
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        seen = UserInteraction.objects.filter(
            user=user,
            project=project,
            action=UserInteraction.Action.WIZARD_STEP,
            detail=step,
            created_at__gte=today,
        ).exists()
        if not seen:
            cls.track_user_interaction(
                user=user, project=project, detail=step, action=UserInteraction.Action.WIZARD_STEP
            )

    @classmethod
    def track_download(cls, *, user, project, video, kind: str) -> None:
        """A rendered file downloaded by its owner (staff's downloads are not the creator's):
        detail `mp4:tiktok`, `srt:youtube`, ..."""
        if kind in DOWNLOAD_KINDS and project.user_id == user.pk:
            detail = f"{DOWNLOAD_KINDS[kind]}:{video.platform}"
            cls.track_user_interaction(
                user=user, project=project, detail=detail, action=UserInteraction.Action.DOWNLOAD
            )


def _error_text(error: BaseException) -> str:
    if isinstance(error, EngineError):
        return f"{type(error).__name__}: {error.detail or error.message}"
    return f"{type(error).__name__}: {error}"
