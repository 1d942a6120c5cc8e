"""The Celery pipeline. Tasks take ids and the run number, call one step in
`services.pipeline`, and let the canvas carry on.

A render run is one canvas:

    chain(script_task, scenes_task, fan_out_scenes_task)
      -> chord(group(media_task, voice_task per scene), render_task)
      -> chord(group(export_task per platform), finish_run_task)

The fan-outs replace themselves with the next part (`Task.replace`) because the scenes are only
known once the script is split. Signatures are immutable (`.si`): no task depends on another's
return value, only on rows. Transient failures retry with exponential backoff and jitter; a final
failure marks the run failed (once) through `PipelineTask.on_failure`.
"""

import inspect
import logging

from celery import Task, chain, chord, group, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from .analytics.tracking import VideoAnalytics
from .engine.core import ffmpeg
from .engine.core.errors import InvalidInput, ProviderFailed, ProviderRefused, RenderFailed
from .services import emails, pipeline, watchdog
from .services.dispatch import task_priority
from .services.projects import RUN_STEPS

logger = logging.getLogger(__name__)

# Worth another try: a provider or the machine had a bad moment. Bad input and a provider's
# refusal (a bad key, a refused prompt) never are.
TRANSIENT_ERRORS = (
    ProviderFailed,
    RenderFailed,
    ConnectionError,
    TimeoutError,
    OSError,
    OperationalError,
    InterfaceError,
)


class PipelineTask(Task):
    step = ""  # the pipeline step a task belongs to, for the failure message and analytics
    edge = ""  # "start", "fan-out" or "end": a task that only moves the run along
    autoretry_for = TRANSIENT_ERRORS
    dont_autoretry_for = (InvalidInput, ProviderRefused)
    retry_backoff = 5
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 3
    acks_late = True

    def __call__(self, *args, **kwargs):
        # Every run of every task is measured and logged (analytics' StepPerformance), whatever
        # it ends in: done, reused, retried, failed, or skipped as part of a replaced run.
        arguments = inspect.signature(self.run).bind_partial(*args, **kwargs).arguments
        project_id, run = arguments.get("project_id"), arguments.get("run", 0)
        with VideoAnalytics.track_step(
            self.step,
            project_id=project_id,
            run=run,
            scene_id=arguments.get("scene_id"),
            platform=arguments.get("platform", ""),
            edge=self.edge,
            worker=self.request.hostname or "",
        ):
            if not self.request.id:  # called as a plain function: no worker to lose
                return super().__call__(*args, **kwargs)
            return self._run_in_hand(project_id, run, *args, **kwargs)

    def _run_in_hand(self, project_id: int, run: int, *args, **kwargs):
        """Run with the watchdog's record of the task: its attempts and its signs of life."""
        in_hand = {"task_id": self.request.id, "task_name": self.name}
        run_of = {"project_id": project_id, "run": run}
        attempts = watchdog.task_started(
            **in_hand, **run_of, step=self.step, worker=self.request.hostname or ""
        )
        ffmpeg.allow_runs()  # a stop asked for the previous task of this process is over
        try:
            if attempts > settings.RUN_MAX_TASK_ATTEMPTS:
                return watchdog.fail_crash_looping_run(**run_of, step=self.step, attempts=attempts)
            with watchdog.keep_alive(**in_hand, **run_of):
                return super().__call__(*args, **kwargs)
        except ffmpeg.Stopped:
            # The run was cancelled (or failed, or superseded) while this step ran: its
            # temporary files are gone with its FFmpeg, and the run's later tasks do nothing.
            logger.info("%s of project %s run %s stopped", self.name, project_id, run)
            return None
        finally:
            watchdog.task_ended(**in_hand, **run_of)

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        project_id, run = args[0], args[1]
        if isinstance(exc, SoftTimeLimitExceeded):
            exc = RenderFailed(
                "This step took too long and was stopped. Try a shorter script, then retry.",
                detail=f"{self.name} hit its time limit",
            )
        pipeline.fail_run(project_id, run, self.step, exc)


def pipeline_task(step: str, **options):
    return shared_task(base=PipelineTask, bind=True, step=step, **options)


@pipeline_task("script", edge="start")
def start_run_task(self, project_id: int, run: int, scene_ids: list[int], force: bool):
    """Start a run: the canvas for its kind (see RUN_STEPS)."""
    project = pipeline.current_project(project_id, run)
    if project is None:
        return
    kind = project.run_kind
    if kind not in RUN_STEPS:
        raise ValueError(f"Unknown run kind {kind!r}")  # a programming error, not a user's

    def at(step: str, signature):
        return signature.set(priority=task_priority(project.user, step))

    finish = at("export", finish_run_task.si(project_id, run))
    if kind == "script":
        workflow = chain(at("script", script_task.si(project_id, run, True)), finish)
    elif kind == "scenes":
        workflow = chain(at("scenes", scenes_task.si(project_id, run)), finish)
    elif kind in ("media", "voice"):
        step_task = media_task if kind == "media" else voice_task
        ids = scene_ids or pipeline.scene_ids(project)
        workflow = chord(
            group(at(kind, step_task.si(project_id, run, scene_id, force)) for scene_id in ids),
            finish,
        )
    else:
        workflow = chain(
            at("script", script_task.si(project_id, run, False)),
            at("scenes", scenes_task.si(project_id, run)),
            at("scenes", fan_out_scenes_task.si(project_id, run)),
        )
    raise self.replace(workflow)


@pipeline_task("script")
def script_task(self, project_id: int, run: int, force: bool):
    pipeline.write_project_script(project_id, run, force=force)


@pipeline_task("scenes")
def scenes_task(self, project_id: int, run: int):
    pipeline.split_project_script(project_id, run)


@pipeline_task("media", edge="fan-out")
def fan_out_scenes_task(self, project_id: int, run: int):
    """Pictures and voices for every scene in parallel, then the render once all are done."""
    project = pipeline.current_project(project_id, run)
    if project is None:
        return
    ids = pipeline.scene_ids(project)
    media, voice, render = (
        task_priority(project.user, step) for step in ("media", "voice", "render")
    )
    pictures = [media_task.si(project_id, run, id_, False).set(priority=media) for id_ in ids]
    voices = [voice_task.si(project_id, run, id_, False).set(priority=voice) for id_ in ids]
    raise self.replace(
        chord(group(*pictures, *voices), render_task.si(project_id, run).set(priority=render))
    )


@pipeline_task("media")
def media_task(self, project_id: int, run: int, scene_id: int, force: bool):
    pipeline.make_scene_media(project_id, run, scene_id, force=force)


@pipeline_task("voice")
def voice_task(self, project_id: int, run: int, scene_id: int, force: bool):
    pipeline.make_scene_voice(project_id, run, scene_id, force=force)


@pipeline_task(
    "render",
    max_retries=1,  # a render that failed twice will fail a third time
    time_limit=settings.CELERY_RENDER_TIME_LIMIT,
    soft_time_limit=settings.CELERY_RENDER_TIME_LIMIT - 60,
)
def render_task(self, project_id: int, run: int):
    """The masters, then every platform's export in parallel, then the notification."""
    pipeline.render_masters(project_id, run)
    project = pipeline.current_project(project_id, run)
    if project is None:
        return
    priority = task_priority(project.user, "export")
    raise self.replace(
        chord(
            group(
                export_task.si(project_id, run, name).set(priority=priority)
                for name in project.platforms
            ),
            finish_run_task.si(project_id, run).set(priority=priority),
        )
    )


@pipeline_task("export", max_retries=2)
def export_task(self, project_id: int, run: int, platform: str):
    pipeline.export_platform(project_id, run, platform)


@pipeline_task("export", edge="end")
def finish_run_task(self, project_id: int, run: int):
    """The run's end: project state, live news and the email."""
    pipeline.finish_run(project_id, run)


@shared_task(ignore_result=True)
def watch_runs_task():
    """Resume (or fail) the runs whose work was lost, and delete stale temporary files (sent
    every minute by each worker's watchdog step, `project_core/celery_steps.py`)."""
    watchdog.watch_runs()


@shared_task(ignore_result=True, acks_late=True, **emails.MAIL_SERVER_RETRIES)
def run_email_task(project_id: int, run: int, outcome: str):
    """A render run's "done" or "failed" email, on its own: its failures are retried here and
    never touch the run (`services/emails.py`)."""
    emails.run_email_send(project_id=project_id, run=run, outcome=outcome)
