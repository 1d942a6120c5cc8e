"""A run carried out in this process, step after step: how `make_video` makes a video.

The same step functions as the Celery canvas (`tasks.py`) in the same order, over the same
database and storage, after the same decision to start (`projects.run_start`, with
`queue=False`): what the command makes is what the wizard makes, with the same rules. Only the
concurrency differs: the scenes' pictures in one lane beside their voices in another, instead of
every scene's on its own worker at once.

Each step is recorded as a task in hand (`watchdog`), with its heartbeat: a worker's watchdog
sees the run alive, and a cancel from the project's page stops this process's FFmpeg as it
stops a worker's.
"""

import contextlib
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from payments_app import services as quotas
from payments_app.models import Plan

from ..engine.core import ffmpeg
from ..engine.core.errors import InvalidInput
from ..engine.export import PLATFORM_SPECS
from ..models import VideoProject
from . import pipeline, projects, watchdog

Step = tuple[str, Callable[[], None]]  # a pipeline step's name and the call that does it
# Voices read two at a time beside the pictures: one at a time, a 60 s Spanish script (Kokoro)
# took 72.7 s end to end against 59.8 s (tests.bench_make_video, BENCHMARKS.md).
VOICE_LANES = 2


def run_in_process(project_id: int, run: int) -> None:
    """Carry out the run `run_start(..., queue=False)` recorded. A step's failure fails the run
    as a worker's final failure does (readable cause, Retry) and is raised; an interrupt (^C)
    cancels the run. Returns when the run is over."""
    project = VideoProject.objects.get(pk=project_id)
    ffmpeg.allow_runs()  # a stop asked for an earlier run of this process is over
    try:
        for phase in run_phases(project, run):
            _run_phase(project_id, run, phase)
    except ffmpeg.Stopped:
        return  # cancelled from elsewhere (the project's page): the run is over already
    except KeyboardInterrupt:
        with contextlib.suppress(projects.NothingToCancel):
            projects.run_cancel(project=project)
        raise
    except _StepFailed as failure:
        pipeline.fail_run(project_id, run, failure.step, failure.error)
        raise failure.error from None
    pipeline.finish_run(project_id, run)


def run_phases(project: VideoProject, run: int) -> Iterator[list[list[Step]]]:
    """The run's steps in the canvas's order (`tasks.start_run_task`), each phase decided when it
    is reached (the scenes are known only once the script is split). A phase is lanes run side
    by side, each lane's steps one after another: as the canvas runs every scene's picture and
    voice at once, here the pictures run in one lane beside the voices in two."""
    kind, project_id = project.run_kind, project.pk
    options = project.run_options
    force = bool(options.get("force", False))
    if kind in ("script", "render"):
        # A render writes the script only if it has none; a script run writes it again.
        write = partial(pipeline.write_project_script, project_id, run, force=kind == "script")
        yield [[("script", write)]]
    if kind in ("scenes", "render"):
        yield [[("scenes", partial(pipeline.split_project_script, project_id, run))]]
    if kind in ("media", "voice", "render"):
        ids = list(options.get("scene_ids") or ()) or pipeline.scene_ids(project)
        lanes = []
        if kind in ("media", "render"):
            make = pipeline.make_scene_media
            lanes.append(
                [("media", partial(make, project_id, run, id_, force=force)) for id_ in ids]
            )
        if kind in ("voice", "render"):
            make = pipeline.make_scene_voice
            voices = [("voice", partial(make, project_id, run, id_, force=force)) for id_ in ids]
            lanes += [voices[lane::VOICE_LANES] for lane in range(VOICE_LANES) if voices[lane:]]
        yield lanes
    if kind == "render":
        yield [[("render", partial(pipeline.render_masters, project_id, run))]]
        project.refresh_from_db(fields=["platforms"])
        exports = [partial(pipeline.export_platform, project_id, run, p) for p in project.platforms]
        yield [[("export", export) for export in exports]]


class _StepFailed(Exception):
    def __init__(self, step: str, error: BaseException):
        super().__init__(step)
        self.step, self.error = step, error


def _run_phase(project_id: int, run: int, lanes: list[list[Step]]) -> None:
    """Every lane of the phase side by side; the first failure (by lane order) is raised as
    _StepFailed once every lane has stopped, the others stopping at their next step."""
    stop = threading.Event()
    if len(lanes) == 1:
        return _run_lane(project_id, run, lanes[0], stop, in_thread=False)
    with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        futures = [
            pool.submit(_run_lane, project_id, run, lane, stop, in_thread=True) for lane in lanes
        ]
        try:
            for future in futures:
                future.result()
        except BaseException:  # a failed lane, or ^C in this thread: the others stop too
            stop.set()
            raise


def _run_lane(
    project_id: int, run: int, lane: list[Step], stop: threading.Event, *, in_thread: bool
) -> None:
    step = ""
    try:
        for step, work in lane:
            if stop.is_set():
                return
            _in_hand(project_id, run, step, work)
    except (ffmpeg.Stopped, KeyboardInterrupt):
        stop.set()
        raise
    except Exception as error:
        stop.set()
        raise _StepFailed(step, error) from error
    finally:
        if in_thread:
            connection.close()  # the thread's own database connection


def _in_hand(project_id: int, run: int, step: str, work: Callable[[], None]) -> None:
    """`work` recorded as a task in hand while it runs, as `tasks.PipelineTask` records a task."""
    in_hand = {"task_id": f"in-process-{uuid.uuid4()}", "task_name": f"in_process.{step}"}
    run_of = {"project_id": project_id, "run": run}
    worker = f"make_video@{socket.gethostname()}:{os.getpid()}"
    watchdog.task_started(**in_hand, **run_of, step=step, worker=worker)
    try:
        with watchdog.keep_alive(**in_hand, **run_of):
            work()
    finally:
        watchdog.task_ended(**in_hand, **run_of)


# --- the command line's account -----------------------------------------------------------------

COMMAND_LINE_USER = "make_video"
COMMAND_LINE_PLAN = "command-line"


def command_line_user(name: str | None = None):
    """Whose videos the command makes. `name` (a username or an email): that account's, under
    its plan, on its dashboard. None: the machine's own account, created on first use with a
    plan of its own, never offered for sale: no watermark, full resolution, no monthly count,
    lengths as long as the platforms accept. Staff see both in admin."""
    users = get_user_model().objects
    if name:
        user = users.filter(Q(username=name) | Q(email__iexact=name)).first()
        if user is None:
            raise InvalidInput(f"There is no account {name!r}.")
        return user
    user, created = users.get_or_create(username=COMMAND_LINE_USER)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        quotas.grant_plan(user=user, plan=_command_line_plan(), note="the command line's account")
    return user


def _command_line_plan() -> Plan:
    plan, _ = Plan.objects.get_or_create(
        slug=COMMAND_LINE_PLAN,
        defaults={
            "name": "Command line",
            "description": "The machine's own account for manage.py make_video.",
            "price_label": "Not for sale",
            "renders_per_period": None,
            "max_video_s": max(spec.max_duration_s for spec in PLATFORM_SPECS.values()),
            "max_height_px": max(min(s.width, s.height) for s in PLATFORM_SPECS.values()),
            "watermark": False,
            "concurrent_renders": 4,
            "storage_quota_mb": None,
            "is_active": False,  # never on the pricing page
        },
    )
    return plan
