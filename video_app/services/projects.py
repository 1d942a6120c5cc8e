"""Domain writes for projects: create, edit the script, start background runs, duplicate, delete.

Views and admin call these; they never enqueue Celery work themselves. A run is queued only after
the transaction that records it commits, so a worker never looks for a row that isn't there yet.
"""

from django.db import transaction
from django.utils import timezone

from payments_app import services as quotas

from ..models import PipelineStep, Scene, VideoProject, VideoScript
from . import dispatch, progress

# The steps each kind of run goes through, in order.
RUN_STEPS = {
    "script": ("script",),
    "scenes": ("scenes",),
    "media": ("media",),
    "voice": ("voice",),
    "render": ("script", "scenes", "media", "voice", "render", "export"),
}


# What a creator is told when an edit or a settings change arrives while a run is busy: a run
# re-reads the project at every step, so a change mid-run would mix two versions.
EDIT_BUSY = "Wait until the current step finishes before editing."
SETTINGS_BUSY = "Wait until the current step finishes before changing settings."


class RunRefused(Exception):
    """A run that may not start now; `message` says why, in words for the creator. Every path
    that starts runs (pages, API, admin, variations, the command line) asks `run_start` or
    `project_retry`, which decide under the project's lock (`_refuse_run`)."""

    message = "This can't be started now."


class ProjectBusy(RunRefused):
    """Another run of this project is queued or running."""

    message = "This project is already being worked on. Wait for it to finish, then try again."


class NoScript(RunRefused):
    message = "Write or generate a script first."


class NothingToRetry(RunRefused):
    message = "Nothing to retry: the last run did not fail."


def project_create(
    *,
    user,
    title: str,
    description: str = "",
    template=None,
    platforms: list[str],
    style: str,
    voice_id: str = "",
    language: str = "en",
    **providers,
) -> VideoProject:
    """`providers`: script_provider, media_provider, allow_provider_fallback (site defaults)."""
    with transaction.atomic():
        project = VideoProject.objects.create(
            user=user,
            title=title,
            description=description,
            template=template,
            platforms=list(platforms),
            style=style,
            voice_id=voice_id,
            language=language,
            **providers,
        )
        VideoScript.objects.create(project=project, voice_id=voice_id)
    return project


class RenderRefused(RunRefused):
    """The user's plan refuses this render now; `refusal` says which limit and why. Pages answer
    it with the plan's page and the API with a 403."""

    def __init__(self, refusal: quotas.QuotaRefusal):
        super().__init__(refusal.message)
        self.refusal = refusal
        self.message = refusal.message


def busy_renders(user, *, exclude: VideoProject | None = None) -> int:
    """How many of the user's renders are queued or running (a plan limits them)."""
    renders = VideoProject.objects.filter(
        user=user,
        run_kind="render",
        run_state__in=VideoProject.BUSY_STATES,
    )
    return renders.exclude(pk=exclude.pk).count() if exclude else renders.count()


def render_estimate_s(project: VideoProject) -> float | None:
    """The video's length as the storyboard predicts it (the render step measures the real one)."""
    scenes = Scene.objects.filter(script__project=project).only("estimated_duration_s")
    return sum(max(2.0, scene.estimated_duration_s + 0.8) for scene in scenes) or None


def renders_claim(*, user, count: int = 1, video_s: float | None = None) -> None:
    """The one decision on starting renders, made inside the transaction that starts them:
    raises RenderRefused unless the user's plan can take `count` more now. Holds the user's
    plan lock until that transaction ends, so concurrent starts (any process, any path: pages,
    API, retry, variations, admin) are decided one after the other, each seeing the runs the
    others started."""
    quotas.plan_decisions_lock(user)
    refusal = quotas.render_refusal(
        user, busy_renders=busy_renders(user), video_s=video_s, count=count
    )
    if refusal is not None:
        raise RenderRefused(refusal)


def project_update_settings(*, project: VideoProject, **fields) -> VideoProject:
    for name, value in fields.items():
        setattr(project, name, value)
    project.save()
    return project


def script_save(*, project: VideoProject, text: str) -> VideoScript:
    """The creator's own words: they replace whatever a provider wrote."""
    script = project.script
    if text.strip() == script.text.strip():
        return script
    script.text = text.strip()
    script.provider = ""
    script.template_based = False
    script.save(update_fields=["text", "provider", "template_based", "updated_at"])
    # A changed script voids the storyboard: back to the script stage until it is split again.
    project.move_to(VideoProject.Status.SCRIPTING)
    project.save(update_fields=["status", "updated_at"])
    return script


def _refuse_run(project: VideoProject, kind: str, *, write_script: bool, retry: bool) -> None:
    """May a run of `kind` start now? Raises RunRefused saying why not. The one answer for every
    path; the caller holds the project's row lock, and for a render the plan's claim holds the
    user's plan lock too, until the transaction that starts the run ends."""
    if project.is_busy:
        raise ProjectBusy
    if retry and project.run_state != VideoProject.RunState.FAILED:
        raise NothingToRetry
    # A render may write the missing script itself (its first step) unless told not to.
    needs_script = kind == "scenes" or (kind == "render" and not write_script)
    if needs_script and not project.script.text.strip():
        raise NoScript
    if kind == "render":
        # Staff re-rendering from admin obey the owner's plan too: support gives more
        # renders by granting a plan (payments_app admin), which is then on record.
        renders_claim(user=project.user, video_s=render_estimate_s(project))


def run_start(
    *,
    project: VideoProject,
    kind: str,
    scene_ids: tuple[int, ...] = (),
    force: bool = False,
    write_script: bool = True,
    retry: bool = False,
    queue: bool = True,
) -> int:
    """Record a new run of the project and queue it once committed; returns its number. Raises
    RunRefused when it may not start (`_refuse_run`); `retry`: only if the last run failed.
    `queue=False`: the caller runs it in its own process (`in_process.run_in_process`)."""
    with transaction.atomic():
        locked = VideoProject.objects.select_for_update().get(pk=project.pk)
        _refuse_run(locked, kind, write_script=write_script, retry=retry)
        _record_run(locked, kind, scene_ids=scene_ids, force=force)
        run = locked.run_number
        if queue:
            transaction.on_commit(
                lambda: dispatch.queue_run(
                    project=locked, run=run, scene_ids=scene_ids, force=force
                )
            )
        transaction.on_commit(lambda: progress.publish(locked.pk))
    project.refresh_from_db()
    return run


def _record_run(
    locked: VideoProject, kind: str, *, scene_ids: tuple[int, ...], force: bool
) -> None:
    """The project's next run, queued, with a pending row per step (under the row's lock)."""
    locked.run_number += 1
    locked.run_kind = kind
    locked.run_state = VideoProject.RunState.QUEUED
    locked.run_started_at = timezone.now()
    locked.run_finished_at = None
    locked.error_message = locked.error_detail = locked.failed_step = ""
    # As asked, so the watchdog can queue the run again; the stage a cancel goes back to.
    locked.run_options = {
        "scene_ids": list(scene_ids),
        "force": force,
        "from_status": locked.status,
    }
    locked.run_seen_at, locked.run_resumes = locked.run_started_at, 0
    if kind == "render":
        locked.move_to(VideoProject.Status.RENDERING)
    elif locked.status == VideoProject.Status.FAILED:
        # Working on one step again after a failed render: back to that step's stage.
        locked.move_to(_stage_for(kind))
    locked.save(update_fields=RUN_FIELDS)
    PipelineStep.objects.bulk_create(
        PipelineStep(project=locked, run_number=locked.run_number, name=name, position=index)
        for index, name in enumerate(RUN_STEPS[kind])
    )


# What starting a run writes on the project.
RUN_FIELDS = [
    "run_number",
    "run_kind",
    "run_state",
    "run_started_at",
    "run_finished_at",
    "error_message",
    "error_detail",
    "failed_step",
    "status",
    "run_options",
    "run_seen_at",
    "run_resumes",
    "updated_at",
]


def run_resume(*, project: VideoProject) -> None:
    """Queue the run again as it was asked (the watchdog, when its work vanished): every step
    skips what is already done, so it carries on from its last finished step. The caller holds
    the project's row lock in its transaction; the run is queued once that commits."""
    project.run_resumes += 1
    project.run_seen_at = timezone.now()
    project.save(update_fields=["run_resumes", "run_seen_at"])
    run = project.run_number
    scene_ids = list(project.run_options.get("scene_ids", []))
    force = bool(project.run_options.get("force", False))
    transaction.on_commit(
        lambda: dispatch.queue_run(project=project, run=run, scene_ids=scene_ids, force=force)
    )


class NothingToCancel(Exception):
    message = "Nothing to cancel: no work is queued or running for this project."


CANCELLED = "Cancelled. Nothing was charged, and what was already made is kept."


def run_cancel(*, project: VideoProject) -> None:
    """Stop the project's busy run: its queued tasks are revoked, a running step sees the run
    cancelled within RUN_CANCEL_CHECK_S (its FFmpeg killed), and every later task of the run
    does nothing. A render goes back to the stage it started from; nothing is charged (only a
    finished render counts) and the plan's render slot is free once this commits."""
    from . import watchdog

    with transaction.atomic():
        locked = VideoProject.objects.select_for_update().get(pk=project.pk)
        if not locked.is_busy:
            raise NothingToCancel
        locked.run_state = VideoProject.RunState.CANCELLED
        locked.run_finished_at = timezone.now()
        if locked.status == VideoProject.Status.RENDERING:
            locked.move_to(_stage_after_cancel(locked))
        locked.save(update_fields=["run_state", "run_finished_at", "status", "updated_at"])
        PipelineStep.objects.filter(project=locked, run_number=locked.run_number).exclude(
            state=PipelineStep.State.DONE
        ).update(state=PipelineStep.State.PENDING, message="Cancelled")
        project_id, run = locked.pk, locked.run_number
        transaction.on_commit(lambda: watchdog.revoke_run_tasks(project_id=project_id, run=run))
        transaction.on_commit(lambda: progress.publish(project_id))
    project.refresh_from_db()


def _stage_after_cancel(project: VideoProject) -> str:
    """The last stable stage of a cancelled render: the stage it left, or further along if the
    run already wrote the script or split it (a failed project goes where its work stands)."""
    status = VideoProject.Status
    script = project.script
    reached = (
        status.STORYBOARD
        if script.scenes_are_current and script.scenes.exists()
        else status.SCRIPTING
        if script.text.strip()
        else status.DRAFT
    )
    before = project.run_options.get("from_status", "")
    if before == status.COMPLETED and project.videos.exists():
        return status.COMPLETED
    order = [status.DRAFT, status.SCRIPTING, status.STORYBOARD, status.MEDIA, status.VOICE]
    if before in order and order.index(before) > order.index(reached):
        return before
    return reached


def _stage_for(kind: str) -> str:
    return {
        "script": VideoProject.Status.SCRIPTING,
        "scenes": VideoProject.Status.STORYBOARD,
        "media": VideoProject.Status.MEDIA,
        "voice": VideoProject.Status.VOICE,
    }[kind]


def project_retry(*, project: VideoProject) -> int:
    """Run a failed run's kind again; finished work (pictures, voices, render pieces) is reused.
    Raises NothingToRetry unless the last run failed (or another RunRefused)."""
    return run_start(project=project, kind=project.run_kind or "render", retry=True)


def project_mark_failed(*, project: VideoProject, reason: str) -> None:
    """Staff's way out for a run stuck by a lost worker: failed, so the user can retry."""
    with transaction.atomic():
        project = VideoProject.objects.select_for_update().get(pk=project.pk)
        project.run_state = VideoProject.RunState.FAILED
        project.run_finished_at = timezone.now()
        project.error_message = reason
        project.failed_step = project.failed_step or project.run_kind
        if project.status == VideoProject.Status.RENDERING:
            project.move_to(VideoProject.Status.FAILED)
        project.save()
    progress.publish(project.pk)


def project_duplicate(*, project: VideoProject, title: str | None = None) -> VideoProject:
    """A new draft with the same settings, script and scene texts (not the files)."""
    with transaction.atomic():
        copy = project_create(
            user=project.user,
            title=title or f"{project.title[:193]} (copy)",
            description=project.description,
            template=project.template,
            platforms=project.platforms,
            style=project.style,
            voice_id=project.voice_id,
            language=project.language,
            script_provider=project.script_provider,
            media_provider=project.media_provider,
            allow_provider_fallback=project.allow_provider_fallback,
        )
        copy.voice_speed = project.voice_speed
        copy.target_duration_s = project.target_duration_s
        copy.duplicated_from = project
        source = project.script
        script = copy.script
        script.text, script.provider = source.text, source.provider
        script.template_based, script.scenes_hash = source.template_based, source.scenes_hash
        script.save()
        Scene.objects.bulk_create(
            Scene(
                script=script,
                position=scene.position,
                text=scene.text,
                visual_direction=scene.visual_direction,
                keywords=scene.keywords,
                speaker=scene.speaker,
                estimated_duration_s=scene.estimated_duration_s,
                voice_id=scene.voice_id,
                voice_speed=scene.voice_speed,
            )
            for scene in source.scenes.all()
        )
        if source.text:
            copy.status = (
                VideoProject.Status.STORYBOARD
                if script.scenes.exists()
                else VideoProject.Status.SCRIPTING
            )
        copy.save()
    return copy


def project_delete(*, project: VideoProject) -> None:
    """The project, its rows and their files (removed from storage once the delete commits)."""
    with transaction.atomic():
        project.delete()
