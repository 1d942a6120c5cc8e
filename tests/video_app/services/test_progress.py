"""The time left on the render page (services/progress.py), from the step times the analytics log
measured (analytics/selectors.py): checked against a real render's real remaining time."""

import secrets
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.video_app.factories import make_project, make_storyboard
from video_app.analytics import selectors
from video_app.analytics.models import StepPerformance
from video_app.analytics.selectors import step_costs
from video_app.analytics.tracking import run_subject
from video_app.models import PipelineStep, Scene, VideoProject
from video_app.services import progress, projects

# Scripts that share no scene, so that no render reuses another's voices, pictures or segments;
# of three sizes, so that history tells a run's fixed cost from what grows with the video. The
# middle size first: a worker's first run also loads the voice model, and the fit's medians set
# a slow run aside best when it is neither the shortest nor the longest.
EARLIER_SCRIPTS = {
    "Bees": "[a hive] Bees dance to show the way to flowers.\n\n[a meadow] A meadow feeds a hive "
    "all summer.\n\n[honey in a jar] Honey keeps for years in a closed jar.",
    "Trains": "[a station] The first train leaves before dawn.\n\n[a bridge] It crosses the "
    "river on an old stone bridge.",
    "Clouds": "[a blue sky] Clouds are made of tiny drops of water.\n\n[a storm] Dark clouds "
    "carry more water than white ones.\n\n[a rainbow] After the rain the sun paints a bow."
    "\n\n[fog in a valley] Fog is a cloud that came down to rest in the valley.",
}
LONGER_SCRIPT = (
    "[a sunrise over the sea] Every morning the tide brings new shells to the beach.\n\n"
    "[children on the sand] Children collect them before breakfast, one bucket each.\n\n"
    "[a crab under a rock] Crabs hide under the rocks until the water comes back.\n\n"
    "[a shell in a hand] Each shell was once a home for a small animal.\n\n"
    "[a lighthouse at dusk] In the evening the tide takes some of them back to the sea."
)


def fresh(script: str) -> str:
    """The script with a number of this test run in every scene: caches outlive a test session,
    and a render that reused earlier work would not be timed."""
    number = 1000 + secrets.randbelow(9000)
    return "\n\n".join(f"{scene} Story {number}." for scene in script.split("\n\n"))


def wait_for_run(project, timeout_s=300):
    deadline = time.monotonic() + timeout_s
    while project.is_busy and time.monotonic() < deadline:
        time.sleep(0.5)
        project.refresh_from_db()
    assert project.run_state == VideoProject.RunState.SUCCEEDED, project.error_detail


# A target measured against real timings, which vary by 25% or more on a shared machine: run by
# `make bench` (results in BENCHMARKS.md), not by `make test`.
@pytest.mark.bench
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_it_estimates_the_time_left_at_halfway_within_30_percent(alice, celery_worker_process):
    # Three renders of three sizes record each step's time in the analytics log...
    for title, script in EARLIER_SCRIPTS.items():
        earlier = make_project(alice, title=title, script=fresh(script))
        projects.run_start(project=earlier, kind="render")
        wait_for_run(earlier)
    finished = StepPerformance.objects.filter(subject=run_subject("render", "end"))
    deadline = time.monotonic() + 30
    while finished.count() < 3 and time.monotonic() < deadline:  # written as its task ends
        time.sleep(0.2)
    measured = step_costs(user_id=alice.pk)
    print("measured step costs:", measured)
    # The scripts were given, so "script" was reused and has no figure: the default stands in.
    assert set(measured) == set(progress.DEFAULT_STEP_RATES) - {"script"}

    # ...and a longer video's render is estimated from it while it runs.
    second = make_project(alice, title="Tides", script=fresh(LONGER_SCRIPT))
    projects.run_start(project=second, kind="render")
    started = time.monotonic()
    samples = []  # (seconds since the start, the estimate shown then)
    while second.is_busy and time.monotonic() - started < 300:
        samples.append((time.monotonic() - started, progress.project_state(second)["eta_s"]))
        time.sleep(0.25)
        second.refresh_from_db()
    took_s = time.monotonic() - started
    assert second.run_state == VideoProject.RunState.SUCCEEDED, second.error_detail

    def shown_at(share):
        at_s, estimate_s = min(samples, key=lambda sample: abs(sample[0] - took_s * share))
        return at_s, estimate_s, took_s - at_s

    print(f"run took {took_s:.1f} s")
    for share in (0.25, 0.5, 0.75):
        at_s, estimate_s, really_left_s = shown_at(share)
        print(f"at {at_s:.1f} s the page said {estimate_s} s left; really {really_left_s:.1f} s")
    _, estimate_s, really_left_s = shown_at(0.5)
    assert abs(estimate_s - really_left_s) <= 0.3 * really_left_s


def record_run(project, run, step_spans, start, reused=()):
    """StepPerformance rows of one render run: step -> [(start offset, wall s), ...]; the tasks
    of the steps in `reused` reused earlier work."""

    def row(step, subject, offset_s, wall_s, outcome="ok"):
        return StepPerformance(
            project=project,
            run=run,
            step=step,
            subject=subject,
            outcome=outcome,
            started_at=start + timedelta(seconds=offset_s),
            wall_s=wall_s,
            cpu_s=wall_s,
            peak_memory_mb=100,
        )

    rows = [row("script", run_subject("render", "end"), 200, 0.1)]
    for step, spans in step_spans.items():
        outcome = "reused" if step in reused else "ok"
        rows += [row(step, "scene", offset_s, wall_s, outcome) for offset_s, wall_s in spans]
    StepPerformance.objects.bulk_create(rows)


def per_unit(costs):
    """Each step's cost per unit, where history had runs of one size only (no fixed part)."""
    assert all(cost.fixed_s == 0 for cost in costs.values())
    return {step: cost.per_unit_s for step, cost in costs.items()}


@pytest.mark.django_db
def test_it_measures_each_step_from_the_end_of_the_phase_before(alice):
    project = make_storyboard(alice)
    Scene.objects.filter(script__project=project).update(estimated_duration_s=5.0)  # 15 s
    record_run(
        project,
        1,
        {
            "script": [(0, 1.5)],
            "scenes": [(2, 1.0)],
            # side by side, from the end of scenes (3 s): pictures end at 12 s, voices at 9 s
            "media": [(3, 4.0), (7, 5.0)],
            "voice": [(3, 3.0), (6, 3.0)],
            "render": [(13, 15.0)],
            "export": [(28, 2.0)],
        },
        start=timezone.now() - timedelta(hours=1),
    )

    costs = step_costs(user_id=alice.pk)

    # One run, one size: per scene (3) or per second of video (15), as STEP_UNITS says.
    assert per_unit(costs) == pytest.approx(
        {
            "script": 1.5 / 3,
            "scenes": 1.5 / 3,
            "media": 9 / 3,
            "voice": 6 / 15,
            "render": 16 / 15,
            "export": 2 / 15,
        }
    )


@pytest.mark.django_db
def test_it_gives_no_figure_to_a_step_that_reused_work_but_keeps_its_phase(alice):
    project = make_storyboard(alice)
    Scene.objects.filter(script__project=project).update(estimated_duration_s=5.0)  # 15 s
    record_run(
        project,
        1,
        {
            "script": [(0, 1.5)],
            "scenes": [(2, 1.0)],
            "media": [(3, 4.0), (7, 5.0)],
            "voice": [(3, 0.1), (3.1, 0.1)],  # the voices of an earlier run, copied
            "render": [(13, 15.0)],
            "export": [(28, 2.0)],
        },
        start=timezone.now() - timedelta(hours=1),
        reused={"script", "voice"},
    )

    costs = per_unit(step_costs(user_id=alice.pk))

    assert set(costs) == {"scenes", "media", "render", "export"}
    # Still from the end of the phase before: the reused script's task ended at 1.5 s.
    assert costs["scenes"] == pytest.approx(1.5 / 3)
    assert costs["media"] == pytest.approx(9 / 3)


# A run's true costs in the tests below: step -> (fixed s, s per unit of STEP_UNITS).
TRUE_COSTS = {
    "script": (0.5, 0.0),
    "scenes": (0.2, 0.1),
    "media": (1.0, 1.0),  # per scene
    "voice": (2.0, 0.1),  # per second
    "render": (3.0, 0.4),
    "export": (0.5, 0.02),
}


def sized_storyboard(user, scene_count, scene_s=5.0):
    project = make_storyboard(user, texts=[f"Scene number {n}." for n in range(scene_count)])
    Scene.objects.filter(script__project=project).update(estimated_duration_s=scene_s)
    return project


def true_seconds(step, scene_count, length_s):
    fixed_s, per_unit_s = TRUE_COSTS[step]
    units = scene_count if selectors.STEP_UNITS[step] == "scenes" else length_s
    return fixed_s + per_unit_s * units


def record_true_run(project, scene_count, length_s, *, hours_ago, slow_voice_s=0.0):
    """A render run taking TRUE_COSTS' seconds for its size, each phase after the one before."""
    spans, at_s = {}, 0.0
    for phase in selectors.STEP_PHASES:
        took = {step: true_seconds(step, scene_count, length_s) for step in phase}
        if "voice" in took:
            took["voice"] += slow_voice_s
        spans.update({step: [(at_s, seconds)] for step, seconds in took.items()})
        at_s += max(took.values())
    record_run(project, 1, spans, start=timezone.now() - timedelta(hours=hours_ago))


def record_history_of_three_sizes(user, slow_first=False):
    """Runs of 3, 2 and 4 scenes of 5 s, in that order; the first one's voices 10 s slow."""
    for number, scene_count in enumerate((3, 2, 4)):
        project = sized_storyboard(user, scene_count)
        record_true_run(
            project,
            scene_count,
            5.0 * scene_count,
            hours_ago=3 - number,
            slow_voice_s=10.0 if slow_first and number == 0 else 0.0,
        )


@pytest.mark.django_db
def test_it_fits_a_fixed_cost_and_a_cost_per_scene_or_second_over_runs_of_different_sizes(
    alice,
):
    record_history_of_three_sizes(alice)

    costs = step_costs(user_id=alice.pk)

    # A 6-scene video of 30 s, longer than any in history: fixed costs are not multiplied.
    longer = selectors.VideoSize(scenes=6, seconds=30.0)
    assert {step: cost.seconds(longer) for step, cost in costs.items()} == pytest.approx(
        {step: true_seconds(step, 6, 30.0) for step in TRUE_COSTS}
    )
    assert costs["render"].fixed_s == pytest.approx(3.0)


@pytest.mark.django_db
def test_it_sets_a_slow_run_aside_in_the_fit(alice):
    # The first run of a fresh worker loads the voice model: 10 s more for its voices.
    record_history_of_three_sizes(alice, slow_first=True)
    project = sized_storyboard(alice, 3)
    record_true_run(project, 3, 15.0, hours_ago=0.5)

    costs = step_costs(user_id=alice.pk)

    assert costs["voice"].fixed_s == pytest.approx(2.0)
    assert costs["voice"].per_unit_s == pytest.approx(0.1)


@pytest.mark.django_db
def test_it_estimates_a_longer_video_than_history_by_fixed_and_growing_costs(alice, queued):
    record_history_of_three_sizes(alice)
    project = sized_storyboard(alice, 6)  # 30 s, twice the middle of history
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()

    state = progress.project_state(project)

    phases = [max(true_seconds(step, 6, 30.0) for step in phase) for phase in selectors.STEP_PHASES]
    assert state["eta_s"] == round(sum(phases))  # 26 s, where 15 s runs scaled up say 32 s
    assert state["eta_floor_s"] == state["eta_s"]


def sum_of_phases(rates):
    """Seconds per second of video of a whole run: media and voice side by side."""
    return sum(rates.values()) - min(rates["media"], rates["voice"])


def start_render(user):
    """A busy render run of three scenes of 5 s each, none of its steps begun."""
    project = make_storyboard(user)
    Scene.objects.filter(script__project=project).update(estimated_duration_s=5.0)
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    return project


def begin_render_step(project, *, progress_done, running_for_s, voices_done_s_ago):
    """Every step before the render done, the voices `voices_done_s_ago`; the render running
    for `running_for_s` seconds at `progress_done`."""
    now = timezone.now()
    steps = PipelineStep.objects.filter(project=project, run_number=project.run_number)
    steps.exclude(name__in=["render", "export"]).update(
        state="done", progress=1.0, finished_at=now - timedelta(seconds=voices_done_s_ago)
    )
    steps.filter(name="render").update(
        state="running",
        progress=progress_done,
        started_at=now - timedelta(seconds=running_for_s),
    )


@pytest.mark.django_db
def test_it_estimates_from_the_defaults_and_the_target_length_before_any_run(alice, queued):
    project = make_project(alice, script="")
    VideoProject.objects.filter(pk=project.pk).update(target_duration_s=60)
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()

    state = progress.project_state(project)

    expected_s = round(60 * sum_of_phases(progress.DEFAULT_STEP_RATES))
    assert state["eta_s"] == expected_s
    # Nothing has begun: the page may not count any of it down.
    assert state["eta_floor_s"] == expected_s


@pytest.mark.django_db
def test_it_estimates_a_render_on_pace_with_history_by_what_it_has_left(alice, queued):
    project = start_render(alice)  # 15 s of video: render 10.5 s, export 0.75 s by default
    # Half done after half its time, counted from the end of the voices as history counts it.
    begin_render_step(project, progress_done=0.5, running_for_s=5.0, voices_done_s_ago=5.25)

    state = progress.project_state(project)

    assert state["eta_s"] == round(10.5 / 2 + 0.75)  # 6
    assert state["eta_floor_s"] == 1  # the export, which has not begun


@pytest.mark.django_db
def test_it_estimates_a_render_slower_than_history_by_its_own_pace_too(alice, queued):
    project = start_render(alice)  # history says the render takes 10.5 s
    # A busy machine: half done after 21 s, so 21 s more at this pace.
    begin_render_step(project, progress_done=0.5, running_for_s=21.0, voices_done_s_ago=21.0)

    state = progress.project_state(project)

    # History alone would leave half of 10.5 s, however late; at 50% the pace weighs half.
    assert state["eta_s"] == round(0.5 * 5.25 + 0.5 * 21 + 0.75)  # 14
    assert state["eta_s"] > 10.5 / 2 + 0.75


@pytest.mark.django_db
def test_it_never_lets_a_running_step_run_out_before_its_progress_does(alice, queued):
    project = start_render(alice)
    # No news from the render for a long time: still a tenth of it to do.
    begin_render_step(project, progress_done=0.9, running_for_s=9.45, voices_done_s_ago=60.0)

    state = progress.project_state(project)

    assert state["eta_s"] == round(1.05 + 0.75)  # history and pace agree: 2
    assert state["eta_s"] > 0


@pytest.mark.django_db
def test_it_does_not_take_the_figures_of_another_run_with_the_same_numbers(alice, queued):
    project = start_render(alice)  # 15 s of video
    before = progress.project_state(project)["eta_s"]  # the defaults: no history yet
    record_run(
        project,
        1,
        {
            "script": [(0, 0.15)],
            "scenes": [(0.15, 0.15)],
            "media": [(0.3, 1.5)],
            "voice": [(0.3, 3.0)],
            "render": [(3.3, 6.0)],
            "export": [(9.3, 0.3)],
        },
        start=timezone.now() - timedelta(hours=1),
    )
    # The same project and run numbers, another run: a recreated or restored database.
    VideoProject.objects.filter(pk=project.pk).update(run_started_at=timezone.now())
    project.refresh_from_db()

    after = progress.project_state(project)["eta_s"]

    assert before == round(15 * sum_of_phases(progress.DEFAULT_STEP_RATES))  # 19 s
    assert after == 10  # as measured: 9.6 s for these 15 s of video


def finish_steps(project, spans_ago):
    """Mark steps done: step -> (started s ago, finished s ago)."""
    now = timezone.now()
    for name, (started_ago_s, finished_ago_s) in spans_ago.items():
        PipelineStep.objects.filter(
            project=project, run_number=project.run_number, name=name
        ).update(
            state="done",
            progress=1.0,
            started_at=now - timedelta(seconds=started_ago_s),
            finished_at=now - timedelta(seconds=finished_ago_s),
        )


@pytest.mark.django_db
def test_it_scales_what_is_left_by_how_this_run_compares_with_history(alice, queued):
    record_history_of_three_sizes(alice)
    project = sized_storyboard(alice, 3)  # history: 0.5 + 0.5 + 4 s before the render
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    # A quieter machine: those phases took half as long.
    finish_steps(
        project,
        {"script": (2.5, 2.25), "scenes": (2.25, 2.0), "media": (2.0, 0.0), "voice": (2.0, 0.5)},
    )

    state = progress.project_state(project)

    speed = (2.5 + progress.SPEED_PRIOR_S) / (5.0 + progress.SPEED_PRIOR_S)
    left_by_history_s = true_seconds("render", 3, 15.0) + true_seconds("export", 3, 15.0)
    assert state["eta_s"] == round(speed * left_by_history_s)  # 6, where history alone says 10


@pytest.mark.django_db
def test_it_does_not_hurry_a_run_whose_finished_steps_reused_work(alice, queued):
    record_history_of_three_sizes(alice)
    project = sized_storyboard(alice, 3)
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    # Script and scenes on pace with history; pictures and voices copied from an earlier run.
    finish_steps(
        project,
        {"script": (1.2, 0.7), "scenes": (0.7, 0.2), "media": (0.2, 0.1), "voice": (0.2, 0.1)},
    )
    StepPerformance.objects.bulk_create(
        StepPerformance(
            project=project,
            run=project.run_number,
            step=step,
            subject="scene",
            outcome="reused",
            started_at=timezone.now() - timedelta(seconds=0.2),
            wall_s=0.1,
            cpu_s=0.1,
            peak_memory_mb=100,
        )
        for step in ("media", "voice")
    )

    state = progress.project_state(project)

    left_by_history_s = true_seconds("render", 3, 15.0) + true_seconds("export", 3, 15.0)
    assert state["eta_s"] == round(left_by_history_s)  # 10: the copies say nothing of the pace


@pytest.mark.django_db(transaction=True)
def test_a_report_from_an_engine_thread_gives_its_connection_back(alice):
    """A render reports from its pieces' threads; nothing else closes their connections, and
    with a pool each one left open is lost to the process."""
    project = make_project(alice)
    run = projects.run_start(project=project, kind="render", queue=False)
    seen = {}

    def piece():
        progress.Reporter(project.pk, run, "render")(0.5, "Rendering scenes")
        seen["open"] = connection.connection is not None

    thread = threading.Thread(target=piece)
    thread.start()
    thread.join()

    assert seen == {"open": False}
    step = PipelineStep.objects.get(project=project, run_number=run, name="render")
    assert step.progress == 0.5
