"""The figures of the staff analytics page, read from the two logs over a recent window.

Counts and sums are aggregated by the database; percentiles (which neither SQLite nor every
database computes alike) are taken in Python from at most `TIMING_SAMPLE` recent rows per step.
Every query is bounded by the window, so the page costs the same after years of logs.
"""

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.fields import CharField
from django.db.models.functions import Coalesce, Concat, TruncDate
from django.urls import reverse
from django.utils import timezone

from ..models import PIPELINE_STEPS, Scene
from .models import StepPerformance, UserInteraction
from .tracking import BOOKKEEPING, DOWNLOAD_KINDS, WIZARD_STEPS, run_subject

WINDOW_DAYS = 30
TIMING_SAMPLE = 5000  # the most recent successful runs of a step that percentiles are taken from
SLOWEST_PROJECTS = 10
Outcome = StepPerformance.Outcome

# One key per run of a project, to count runs rather than rows (a run has many task rows).
RUN_KEY = Concat("project_id", Value(":"), "run", output_field=CharField())


@dataclass(frozen=True)
class DayFigures:
    day: date
    completed: int
    failed: int


@dataclass(frozen=True)
class StepFigures:
    step: str
    label: str
    ok: int
    reused: int
    retried: int
    failed: int
    median_s: float | None
    p95_s: float | None
    cpu_median_s: float | None
    peak_memory_mb: float | None

    @property
    def failure_rate(self) -> float:
        """Of the task runs that ended (not those retried), the share that failed for good."""
        ended = self.ok + self.reused + self.failed
        return self.failed / ended if ended else 0.0

    @property
    def failure_percent(self) -> float:
        return round(100 * self.failure_rate, 1)


@dataclass(frozen=True)
class SlowProject:
    project_id: int
    title: str
    owner: str
    run: int
    wall_s: float
    cpu_s: float
    tasks: int
    failed: bool

    @property
    def admin_url(self) -> str:
        return reverse("admin:video_app_videoproject_change", args=[self.project_id])


@dataclass(frozen=True)
class FunnelRow:
    label: str
    projects: int
    users: int
    events: int


@dataclass(frozen=True)
class AnalyticsReport:
    since: datetime
    days: list[DayFigures]
    steps: list[StepFigures]
    slowest: list[SlowProject]
    funnel: list[FunnelRow]

    def chart_data(self) -> dict:
        """Plain data for the page's charts (handed to the script through json_script)."""
        return {
            "days": {
                "labels": [day.day.isoformat() for day in self.days],
                "completed": [day.completed for day in self.days],
                "failed": [day.failed for day in self.days],
            },
            "steps": {
                "labels": [step.label for step in self.steps],
                "median_s": [step.median_s for step in self.steps],
                "p95_s": [step.p95_s for step in self.steps],
                "failure_percent": [step.failure_percent for step in self.steps],
            },
            "funnel": {
                "labels": [row.label for row in self.funnel],
                "projects": [row.projects for row in self.funnel],
            },
        }


def analytics_report(*, days: int = WINDOW_DAYS, now: datetime | None = None) -> AnalyticsReport:
    now = now or timezone.now()
    since = now - timedelta(days=days)
    logs = StepPerformance.objects.filter(started_at__gte=since)
    return AnalyticsReport(
        since=since,
        days=renders_per_day(logs, timezone.localdate(now), days),
        steps=step_figures(logs),
        slowest=slowest_projects(logs),
        funnel=interaction_funnel(UserInteraction.objects.filter(created_at__gte=since)),
    )


def renders_per_day(logs, today: date, days: int) -> list[DayFigures]:
    """Render runs that finished each day, and render runs that failed each day."""
    render_run = StepPerformance.objects.filter(
        project=OuterRef("project"), run=OuterRef("run"), subject=run_subject("render", "start")
    ).exclude(outcome=Outcome.SKIPPED)
    completed = (
        logs.filter(subject=run_subject("render", "end"), outcome=Outcome.OK)
        .annotate(day=TruncDate("started_at"))
        .values("day")
        .annotate(runs=Count(RUN_KEY, distinct=True))
    )
    failed = (
        logs.filter(Exists(render_run), outcome=Outcome.FAILED)
        .annotate(day=TruncDate("started_at"))
        .values("day")
        .annotate(runs=Count(RUN_KEY, distinct=True))
    )
    done = {row["day"]: row["runs"] for row in completed}
    lost = {row["day"]: row["runs"] for row in failed}
    first = today - timedelta(days=days - 1)
    return [
        DayFigures(day=day, completed=done.get(day, 0), failed=lost.get(day, 0))
        for day in (first + timedelta(days=n) for n in range(days))
    ]


def step_figures(logs) -> list[StepFigures]:
    """Per step: how its task runs ended, and how long the ones that did work took."""
    work = logs.exclude(BOOKKEEPING)
    counts = {
        row["step"]: row
        for row in work.values("step").annotate(
            ok=Count("id", filter=Q(outcome=Outcome.OK)),
            reused=Count("id", filter=Q(outcome=Outcome.REUSED)),
            retried=Count("id", filter=Q(outcome=Outcome.RETRY)),
            failed=Count("id", filter=Q(outcome=Outcome.FAILED)),
            peak_memory_mb=Max("peak_memory_mb"),
        )
    }
    figures = []
    for step, label in PIPELINE_STEPS.items():
        row = counts.get(step)
        if row is None:
            continue
        timings = list(
            work.filter(step=step, outcome=Outcome.OK)
            .order_by("-started_at")
            .values_list("wall_s", "cpu_s")[:TIMING_SAMPLE]
        )
        walls = [wall for wall, _ in timings]
        figures.append(
            StepFigures(
                step=step,
                label=label,
                ok=row["ok"],
                reused=row["reused"],
                retried=row["retried"],
                failed=row["failed"],
                median_s=_median(walls),
                p95_s=percentile(walls, 95),
                cpu_median_s=_median([cpu for _, cpu in timings]),
                peak_memory_mb=row["peak_memory_mb"],
            )
        )
    return figures


def slowest_projects(logs, limit: int = SLOWEST_PROJECTS) -> list[SlowProject]:
    """Projects whose last render run took the longest, adding up the time of all its tasks."""
    last_render_run = (
        StepPerformance.objects.filter(
            project=OuterRef("project"), subject=run_subject("render", "start")
        )
        .exclude(outcome=Outcome.SKIPPED)
        .order_by("-run")
        .values("run")[:1]
    )
    rows = (
        logs.filter(project__isnull=False, run=Subquery(last_render_run))
        .values("project", "run", title=F("project__title"), owner=F("project__user__username"))
        .annotate(
            wall_s=Sum("wall_s"),
            cpu_s=Sum("cpu_s"),
            tasks=Count("id"),
            failures=Count("id", filter=Q(outcome=Outcome.FAILED)),
        )
        .order_by("-wall_s", "project")[:limit]
    )
    return [
        SlowProject(
            project_id=row["project"],
            title=row["title"],
            owner=row["owner"],
            run=row["run"],
            wall_s=row["wall_s"],
            cpu_s=row["cpu_s"],
            tasks=row["tasks"],
            failed=row["failures"] > 0,
        )
        for row in rows
    ]


def interaction_funnel(interactions) -> list[FunnelRow]:
    """How far creators get: projects (and people) reaching each wizard page, then playing the
    result and downloading it, by file kind. One query of conditional counts."""
    Action = UserInteraction.Action
    lines = [
        *((f"Reached {step}", Q(action=Action.WIZARD_STEP, detail=step)) for step in WIZARD_STEPS),
        ("Played the result", Q(action=Action.PREVIEW_PLAYED)),
        *(
            (f"Downloaded {kind}", Q(action=Action.DOWNLOAD, detail__startswith=f"{kind}:"))
            for kind in DOWNLOAD_KINDS.values()
        ),
    ]
    counts = {}
    for number, (_, matching) in enumerate(lines):
        counts[f"events{number}"] = Count("id", filter=matching)
        counts[f"projects{number}"] = Count("project", filter=matching, distinct=True)
        counts[f"users{number}"] = Count("user", filter=matching, distinct=True)
    totals = interactions.aggregate(**counts)
    return [
        FunnelRow(
            label=label,
            events=totals[f"events{number}"],
            projects=totals[f"projects{number}"],
            users=totals[f"users{number}"],
        )
        for number, (label, _) in enumerate(lines)
    ]


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: a value that was really measured, `share` % at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# --- What a render run's steps take, for the time estimate (services/progress.py) --------------

# The steps of a render run in order; the steps of one phase run side by side (tasks.py's group).
STEP_PHASES = (("script",), ("scenes",), ("media", "voice"), ("render",), ("export",))
ESTIMATE_RUNS = 20  # the most recent finished render runs the estimate learns from


# What each step's time grows with, besides a fixed cost per run (starting FFmpeg, loading a
# model, waiting for a worker): a picture costs about the same whatever its scene's length, while
# voices, the render and the export grow with the seconds they make.
STEP_UNITS = {
    "script": "scenes",
    "scenes": "scenes",
    "media": "scenes",
    "voice": "seconds",
    "render": "seconds",
    "export": "seconds",
}


@dataclass(frozen=True)
class VideoSize:
    scenes: int
    seconds: float


@dataclass(frozen=True)
class StepCost:
    """A step's expected seconds: `fixed_s`, plus `per_unit_s` for each of the video's `unit`
    (a `VideoSize` field)."""

    fixed_s: float
    per_unit_s: float
    unit: str = "seconds"

    def seconds(self, size: VideoSize) -> float:
        return self.fixed_s + self.per_unit_s * getattr(size, self.unit)


def video_sizes(project_ids) -> dict[int, VideoSize]:
    """Scenes and seconds of video per project as its scenes stand: the voices' length where
    made, else the script's estimate. The same measure sizes past runs and the run estimated."""
    rows = (
        Scene.objects.filter(script__project__in=project_ids)
        .values("script__project")
        .annotate(
            scenes=Count("id"),
            length_s=Sum(Coalesce("audio__duration_s", "estimated_duration_s")),
        )
    )
    return {
        row["script__project"]: VideoSize(scenes=row["scenes"], seconds=row["length_s"] or 0.0)
        for row in rows
    }


def step_costs(
    *, user_id: int | None = None, days: int = WINDOW_DAYS, now: datetime | None = None
) -> dict[str, StepCost]:
    """Per step, a fixed cost plus a cost per unit of video (STEP_UNITS), fitted over the user's
    (without one, everyone's) last ESTIMATE_RUNS finished render runs. A step's time runs from
    the end of the phase before it to the end of its last task, so waiting for a worker counts,
    as it does for the person watching the bar (`_step_spans`)."""
    since = (now or timezone.now()) - timedelta(days=days)
    finished = StepPerformance.objects.filter(
        subject=run_subject("render", "end"),
        outcome=Outcome.OK,
        started_at__gte=since,
        project__isnull=False,
    )
    if user_id is not None:
        finished = finished.filter(project__user_id=user_id)
    runs = list(finished.order_by("-started_at").values_list("project", "run")[:ESTIMATE_RUNS])
    if not runs:
        return {}
    sizes = video_sizes({project for project, _ in runs})
    points: dict[str, list[tuple[float, float]]] = {}  # step -> [(units, seconds), ...]
    for (project, _), steps in _step_spans(runs).items():
        size = sizes.get(project)
        for step, seconds in steps.items():
            units = getattr(size, STEP_UNITS[step]) if size else 0
            if units > 0:
                points.setdefault(step, []).append((units, seconds))
    return {step: _fit_cost(found, STEP_UNITS[step]) for step, found in points.items()}


def steps_that_reused_work(*, project_id: int, run: int) -> set[str]:
    """The steps of a run whose tasks so far reused earlier work (and so ended early)."""
    return set(
        StepPerformance.objects.filter(project_id=project_id, run=run, outcome=Outcome.REUSED)
        .exclude(BOOKKEEPING)
        .values_list("step", flat=True)
    )


def _fit_cost(points: list[tuple[float, float]], unit: str) -> StepCost:
    """A robust line through (units, seconds): the median of the slopes between runs of
    different sizes (Theil-Sen), then the median of what each run leaves for the fixed cost, so
    one slow run (a worker's first, loading a model) does not bend it. Runs all of one size
    cannot tell fixed from growing cost: then the median seconds per unit, as if all grew.
    Neither part is ever negative: noise must not make a longer video look cheaper."""
    by_unit = [seconds / units for units, seconds in points]
    slopes = [
        (seconds_b - seconds_a) / (units_b - units_a)
        for n, (units_a, seconds_a) in enumerate(points)
        for units_b, seconds_b in points[n + 1 :]
        if units_b != units_a
    ]
    if not slopes:
        return StepCost(fixed_s=0.0, per_unit_s=statistics.median(by_unit), unit=unit)
    per_unit_s = max(0.0, statistics.median(slopes))
    fixed_s = statistics.median(seconds - per_unit_s * units for units, seconds in points)
    if fixed_s < 0:
        return StepCost(fixed_s=0.0, per_unit_s=statistics.median(by_unit), unit=unit)
    return StepCost(fixed_s=fixed_s, per_unit_s=per_unit_s, unit=unit)


def _step_spans(runs) -> dict[tuple[int, int], dict[str, float]]:
    """Per (project, run), each step's seconds from the end of the phase before it to the end of
    its last task. A step that reused any earlier work (an unchanged re-render, one scene's new
    voice) says nothing of what the work costs and is left out, though its tasks still mark
    where the next phase began."""
    rows = (
        StepPerformance.objects.filter(
            Q.create([Q(project=project, run=run) for project, run in runs], connector=Q.OR)
        )
        .exclude(BOOKKEEPING)
        .exclude(outcome=Outcome.SKIPPED)
        .values_list("project", "run", "step", "started_at", "wall_s", "outcome")
    )
    starts, ends, reused = {}, {}, set()
    for project, run, step, started_at, wall_s, outcome in rows:
        key = (project, run, step)
        ended_at = started_at + timedelta(seconds=wall_s)
        starts[key] = min(starts.get(key, started_at), started_at)
        ends[key] = max(ends.get(key, ended_at), ended_at)
        if outcome == Outcome.REUSED:
            reused.add(key)
    spans: dict[tuple[int, int], dict[str, float]] = {}
    for project, run in runs:
        phase_start = None
        for phase in STEP_PHASES:
            keys = [(project, run, step) for step in phase if (project, run, step) in ends]
            if not keys:
                continue
            if phase_start is None:
                phase_start = min(starts[key] for key in keys)
            for key in keys:
                if key not in reused:
                    seconds = (ends[key] - phase_start).total_seconds()
                    spans.setdefault((project, run), {})[key[2]] = seconds
            phase_start = max(ends[key] for key in keys)
    return spans
