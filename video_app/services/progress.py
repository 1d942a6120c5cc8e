"""Progress of a project's background run: stored first, then announced.

The database is the truth (`PipelineStep` rows); every change is followed by the whole current
state sent to the channel-layer group `project_<id>`, so a page that missed a message, or just
(re)connected, is never left with a stale bar.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from ..analytics import selectors as analytics
from ..models import PIPELINE_STEPS, PipelineStep, VideoProject

# How much of the bar each step fills: rendering dominates the wall time.
STEP_WEIGHTS = {"script": 5, "scenes": 5, "media": 15, "voice": 20, "render": 45, "export": 10}
# Seconds each step takes per second of video where no render run has been measured yet: offline
# renders of a square video on a two-core machine, rounded up (tests/video_app/services/
# test_progress.py prints what it measures). Media and voice share a phase and are timed from its
# start, so on one worker the voices' figure includes the pictures'.
DEFAULT_STEP_RATES = {
    "script": 0.02,
    "scenes": 0.01,
    "media": 0.3,
    "voice": 0.5,
    "render": 0.7,
    "export": 0.05,
}
# How many seconds of agreement with history this run's own finished phases are weighed against:
# a phase of a fraction of a second must not swing the estimate of the render after it.
SPEED_PRIOR_S = 2.0
SPEED_LIMITS = (0.5, 2.0)  # this run may be found twice as fast or slow as history, not more
DEFAULT_LENGTH_S = 30.0  # a run whose script is not written yet, without a target length
COSTS_CACHE_S = 24 * 60 * 60  # a run's step costs are read once; it is over long before this
logger = logging.getLogger(__name__)
MIN_INTERVAL_S = 0.5  # an engine reports far more often than a person can read


# Who else in this process follows the steps (`listening`): the command line's progress bars.
_listeners: list[Callable[[str, float, str], None]] = []


@contextmanager
def listening(listener: Callable[[str, float, str], None]) -> Iterator[None]:
    """While the block runs, `listener(step, fraction, message)` hears every step's progress
    reported in this process, beside the stored and announced state."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def _tell(step: str, fraction: float, message: str) -> None:
    for listener in list(_listeners):
        listener(step, fraction, message)


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
        **time_left(project, steps),
        "error": project.error_message if project.run_state == project.RunState.FAILED else "",
        "steps": [
            {
                "name": step.name,
                "label": PIPELINE_STEPS[step.name],
                "state": step.state,
                "progress": round(100 * step.progress),
            }
            for step in steps
        ],
    }


def step_costs(project: VideoProject) -> dict[str, analytics.StepCost]:
    """What each step costs (a fixed part and a part per scene or second of video): fitted over
    this user's recent render runs, else the site's, else the default rates per second. Read once
    per run (every process shares the cache)."""

    def measured() -> dict[str, analytics.StepCost]:
        costs = analytics.step_costs(user_id=project.user_id)
        if not set(DEFAULT_STEP_RATES) <= set(costs):
            costs = {**analytics.step_costs(), **costs}
        defaults = {
            step: analytics.StepCost(0.0, rate) for step, rate in DEFAULT_STEP_RATES.items()
        }
        return {**defaults, **costs}

    # The run's start time in the key: project and run numbers alone come round again when a
    # database is recreated or restored (every test session), and would serve another run's
    # figures, often the defaults of a run that had no history yet.
    started = project.run_started_at.timestamp() if project.run_started_at else 0
    key = f"progress:step-costs:{project.pk}:{project.run_number}:{started:.6f}"
    return cache.get_or_set(key, measured, COSTS_CACHE_S)


def time_left(project: VideoProject, steps: list[PipelineStep]) -> dict:
    """`eta_s`, the seconds until the run ends, and `eta_floor_s`, the part of them no clock can
    shorten: the steps not begun yet. None for both when no run is busy.

    Each step is expected to take its measured cost for this video's size, timed from the end of
    the phase before it (as the costs were measured). A running step is left what history says
    (that time less what has passed, never less than its unfinished share) and what its own pace
    says, the pace weighing as much as the step has done: a machine busier or quieter than when
    history was measured shows in the pace as the step goes. The steps of a phase run side by
    side, so a phase lasts as long as its longest step. A run that will reuse work is estimated
    as if it did the work, until its steps end early: the estimate errs long, never short.

    The steps not finished are scaled by how this run's finished phases compared with history
    (`_run_speed`): the load on the machine now is the largest part of what history cannot know."""
    if not project.is_busy:
        return {"eta_s": None, "eta_floor_s": None}
    costs = step_costs(project)
    size = analytics.video_sizes([project.pk]).get(project.pk)
    if size is None or size.seconds <= 0:  # no script yet: the target length, in scenes of 5 s
        length_s = float(project.target_duration_s or DEFAULT_LENGTH_S)
        size = analytics.VideoSize(scenes=max(1, round(length_s / 5)), seconds=length_s)
    by_name = {step.name: step for step in steps}
    expected = {name: cost.seconds(size) for name, cost in costs.items()}
    speed = _run_speed(project, by_name, expected)
    now = timezone.now()
    left_s = floor_s = 0.0
    phase_start = None  # when the phase before ended, once it has
    for phase in analytics.STEP_PHASES:
        in_phase = [by_name[name] for name in phase if name in by_name]
        phase_left_s = 0.0
        begun = False
        for step in in_phase:
            if step.state == PipelineStep.State.DONE:
                continue
            expected_s = expected.get(step.name, 0.0) * speed
            step_left_s = expected_s
            if step.state == PipelineStep.State.RUNNING and step.started_at:
                begun = True
                step_left_s = _running_step_left_s(
                    expected_s, step, since=phase_start or step.started_at, now=now
                )
            phase_left_s = max(phase_left_s, step_left_s)
        left_s += phase_left_s
        if not begun:
            floor_s += phase_left_s
        ended = [step.finished_at for step in in_phase if step.finished_at]
        if ended and len(ended) == len(in_phase):
            phase_start = max(ended)
        elif in_phase:
            phase_start = None
    return {"eta_s": round(left_s), "eta_floor_s": round(min(floor_s, left_s))}


def _run_speed(project: VideoProject, by_name: dict, expected: dict[str, float]) -> float:
    """This run's finished phases' time over what history expected of them, shrunk towards 1 by
    SPEED_PRIOR_S. A phase that reused work ended early because nothing was done, and says
    nothing of the machine: it is left out, so a run that reuses work is not hurried."""
    reused = analytics.steps_that_reused_work(project_id=project.pk, run=project.run_number)
    observed_s = expected_s = 0.0
    phase_start = None  # when the phase before ended
    for phase in analytics.STEP_PHASES:
        in_phase = [by_name[name] for name in phase if name in by_name]
        if not in_phase:
            continue
        ended = [step.finished_at for step in in_phase if step.state == PipelineStep.State.DONE]
        if None in ended or len(ended) < len(in_phase):
            break
        timed = all(step.started_at for step in in_phase)  # not marked done without running
        if timed and not reused.intersection(phase):
            began = phase_start or min(step.started_at for step in in_phase)
            observed_s += (max(ended) - began).total_seconds()
            expected_s += max(expected.get(step.name, 0.0) for step in in_phase)
        phase_start = max(ended)
    speed = (observed_s + SPEED_PRIOR_S) / (expected_s + SPEED_PRIOR_S)
    return min(max(speed, SPEED_LIMITS[0]), SPEED_LIMITS[1])


def _running_step_left_s(expected_s: float, step: PipelineStep, *, since, now) -> float:
    unfinished = 1 - step.progress
    by_history_s = max(expected_s * unfinished, expected_s - (now - since).total_seconds())
    if step.progress <= 0:
        return by_history_s
    # Its pace from its own start: a phase's other step may have run first on the same worker.
    by_pace_s = (now - step.started_at).total_seconds() * unfinished / step.progress
    return (1 - step.progress) * by_history_s + step.progress * by_pace_s


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
    # Queued becomes running; a run that has ended stays ended, whatever a late copy of one of
    # its tasks does.
    VideoProject.objects.filter(
        pk=project_id, run_number=run, run_state=VideoProject.RunState.QUEUED
    ).update(run_state=VideoProject.RunState.RUNNING)
    publish(project_id)
    _tell(step, 0.0, message)


def step_progress(project_id: int, run: int, step: str, fraction: float, message: str) -> None:
    """Move a step's bar forward (never back: parallel scene tasks report out of order)."""
    fraction = max(0.0, min(1.0, fraction))
    PipelineStep.objects.filter(
        project_id=project_id, run_number=run, name=step, progress__lt=fraction
    ).update(progress=fraction, message=message[:200], state=PipelineStep.State.RUNNING)
    publish(project_id)
    _tell(step, fraction, message)


def step_done(project_id: int, run: int, step: str, message: str = "") -> None:
    PipelineStep.objects.filter(project_id=project_id, run_number=run, name=step).update(
        state=PipelineStep.State.DONE,
        progress=1.0,
        message=message[:200],
        finished_at=timezone.now(),
    )
    publish(project_id)
    _tell(step, 1.0, message)


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
            if threading.current_thread() is not threading.main_thread():
                # An engine's thread (a render piece's): nothing closes its connection when the
                # thread ends, and with a pool an unclosed one is lost to the process for good
                # (four renders, and a worker waited 30 s for any query).
                connection.close()
