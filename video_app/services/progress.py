"""Progress of a project's background run: stored first, then announced.

The database is the truth (`PipelineStep` rows); every change is followed by the whole current
state sent to the channel-layer group `project_<id>`, so a page that missed a message, or just
(re)connected, is never left with a stale bar.
"""

import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db.models import Q
from django.utils import timezone

from ..models import PIPELINE_STEPS, PipelineStep, VideoProject, eta_seconds

# How much of the bar each step fills: rendering dominates the wall time.
STEP_WEIGHTS = {"script": 5, "scenes": 5, "media": 15, "voice": 20, "render": 45, "export": 10}
logger = logging.getLogger(__name__)
MIN_INTERVAL_S = 0.5  # an engine reports far more often than a person can read


def group_name(project_id: int) -> str:
    return f"project_{project_id}"


def project_state(project: VideoProject) -> dict:
    """Everything a progress bar shows, as plain JSON-able data."""
    steps = list(project.steps.filter(run_number=project.run_number)) if project.run_number else []
    total = sum(STEP_WEIGHTS[step.name] for step in steps) or 1
    done = sum(STEP_WEIGHTS[step.name] * step.progress for step in steps)
    percent = 100.0 if project.run_state == project.RunState.SUCCEEDED else 100.0 * done / total
    active = [step for step in steps if step.state == PipelineStep.State.RUNNING]
    failed = [step for step in steps if step.state == PipelineStep.State.FAILED]
    current = (
        failed or active or [s for s in steps if s.state == "pending"] or steps[-1:] or [None]
    )[0]
    return {
        "project": project.pk,
        "status": project.status,
        "status_label": project.get_status_display(),
        "run": project.run_number,
        "run_kind": project.run_kind,
        "run_state": project.run_state,
        "step": current.name if current else "",
        "message": current.message if current else "",
        "progress": round(percent, 1),
        "eta_s": eta_seconds(project.run_started_at, percent) if project.is_busy else None,
        "error": project.error_message if project.run_state == project.RunState.FAILED else "",
        "steps": [
            {"name": step.name, "label": PIPELINE_STEPS[step.name], "state": step.state,
             "progress": round(100 * step.progress)}
            for step in steps
        ],
    }  # fmt: skip


def publish(project_id: int) -> None:
    """Announce the stored state. Best effort: the state is already saved, and a page that missed
    this news gets the state when it reconnects or polls, so a layer outage never fails a step."""
    project = VideoProject.objects.filter(pk=project_id).first()
    if project is None:
        return
    try:
        async_to_sync(get_channel_layer().group_send)(
            group_name(project_id), {"type": "project.progress", "state": project_state(project)}
        )
    except Exception:  # any layer failure: the news is lost, not the work
        logger.warning("Progress news for project %s not delivered", project_id, exc_info=True)


def step_started(project_id: int, run: int, step: str, message: str = "") -> None:
    now = timezone.now()
    PipelineStep.objects.filter(project_id=project_id, run_number=run, name=step).filter(
        Q(started_at__isnull=True) | Q(state=PipelineStep.State.PENDING)
    ).update(state=PipelineStep.State.RUNNING, started_at=now, message=message)
    VideoProject.objects.filter(pk=project_id, run_number=run).update(
        run_state=VideoProject.RunState.RUNNING
    )
    publish(project_id)


def step_progress(project_id: int, run: int, step: str, fraction: float, message: str) -> None:
    """Move a step's bar forward (never back: parallel scene tasks report out of order)."""
    fraction = max(0.0, min(1.0, fraction))
    PipelineStep.objects.filter(
        project_id=project_id, run_number=run, name=step, progress__lt=fraction
    ).update(progress=fraction, message=message[:200], state=PipelineStep.State.RUNNING)
    publish(project_id)


def step_done(project_id: int, run: int, step: str, message: str = "") -> None:
    PipelineStep.objects.filter(project_id=project_id, run_number=run, name=step).update(
        state=PipelineStep.State.DONE, progress=1.0, message=message[:200],
        finished_at=timezone.now(),
    )  # fmt: skip
    publish(project_id)


def step_failed(project_id: int, run: int, step: str, message: str) -> None:
    PipelineStep.objects.filter(project_id=project_id, run_number=run, name=step).update(
        state=PipelineStep.State.FAILED, message=message[:200], finished_at=timezone.now()
    )


class Reporter:
    """An engine progress callback for one step, throttled to what a page can show."""

    def __init__(self, project_id: int, run: int, step: str):
        self.project_id, self.run, self.step = project_id, run, step
        self._last = 0.0

    def __call__(self, fraction: float, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last >= MIN_INTERVAL_S or fraction >= 1.0:
            self._last = now
            step_progress(self.project_id, self.run, self.step, fraction, message)
