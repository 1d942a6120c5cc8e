"""Domain writes for projects: create, edit the script, start background runs, duplicate, delete.

Views and admin call these; they never enqueue Celery work themselves. A run is queued only after
the transaction that records it commits, so a worker never looks for a row that isn't there yet.
"""

from django.db import transaction
from django.utils import timezone

from payments_app import services as quotas

from ..models import PipelineStep, Scene, VideoProject, VideoScript
from . import progress

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


class ProjectBusy(Exception):
    """Another run of this project is queued or running."""

    message = "This project is already being worked on. Wait for it to finish, then try again."


def project_create(*, user, title: str, description: str = "", template=None,
                   platforms: list[str], style: str, voice_id: str = "",
                   language: str = "en", **providers) -> VideoProject:  # fmt: skip
    """`providers`: script_provider, media_provider, allow_provider_fallback (site defaults)."""
    with transaction.atomic():
        project = VideoProject.objects.create(
            user=user, title=title, description=description, template=template,
            platforms=list(platforms), style=style, voice_id=voice_id, language=language,
            **providers,
        )  # fmt: skip
        VideoScript.objects.create(project=project, voice_id=voice_id)
    return project


def busy_renders(user, *, exclude: VideoProject | None = None) -> int:
    """How many of the user's renders are queued or running (a plan limits them)."""
    renders = VideoProject.objects.filter(
        user=user, run_kind="render",
        run_state__in=[VideoProject.RunState.QUEUED, VideoProject.RunState.RUNNING],
    )  # fmt: skip
    return renders.exclude(pk=exclude.pk).count() if exclude else renders.count()


def render_refusal(project: VideoProject):
    """The plan's answer to "may this project be rendered now?"; None means yes. The length is
    estimated from the storyboard (the render step checks the real one)."""
    scenes = Scene.objects.filter(script__project=project).only("estimated_duration_s")
    estimate_s = sum(max(2.0, scene.estimated_duration_s + 0.8) for scene in scenes) or None
    return quotas.render_refusal(
        project.user, busy_renders=busy_renders(project.user, exclude=project), video_s=estimate_s
    )


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


def run_start(*, project: VideoProject, kind: str, scene_ids: tuple[int, ...] = (),
              force: bool = False) -> int:  # fmt: skip
    """Record a new run of the project and queue it once committed; returns its number."""
    from .. import tasks  # tasks import services: import here to keep the dependency one-way

    steps = RUN_STEPS[kind]
    with transaction.atomic():
        locked = VideoProject.objects.select_for_update().get(pk=project.pk)
        if locked.is_busy:
            raise ProjectBusy
        locked.run_number += 1
        locked.run_kind = kind
        locked.run_state = VideoProject.RunState.QUEUED
        locked.run_started_at = timezone.now()
        locked.run_finished_at = None
        locked.error_message = locked.error_detail = locked.failed_step = ""
        fields = ["run_number", "run_kind", "run_state", "run_started_at", "run_finished_at",
                  "error_message", "error_detail", "failed_step", "status",
                  "updated_at"]  # fmt: skip
        if kind == "render":
            locked.move_to(VideoProject.Status.RENDERING)
        elif locked.status == VideoProject.Status.FAILED:
            # Working on one step again after a failed render: back to that step's stage.
            locked.move_to(_stage_for(kind))
        locked.save(update_fields=fields)
        PipelineStep.objects.bulk_create(
            PipelineStep(project=locked, run_number=locked.run_number, name=name, position=index)
            for index, name in enumerate(steps)
        )
        run = locked.run_number
        transaction.on_commit(
            lambda: tasks.process_video_project.delay(locked.pk, run, list(scene_ids), force)
        )
        transaction.on_commit(lambda: progress.publish(locked.pk))
    project.refresh_from_db()
    return run


def _stage_for(kind: str) -> str:
    return {
        "script": VideoProject.Status.SCRIPTING,
        "scenes": VideoProject.Status.STORYBOARD,
        "media": VideoProject.Status.MEDIA,
        "voice": VideoProject.Status.VOICE,
    }[kind]


def project_retry(*, project: VideoProject) -> int:
    """Run a failed run's kind again; finished work (pictures, voices, render pieces) is reused."""
    return run_start(project=project, kind=project.run_kind or "render")


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
            user=project.user, title=title or f"{project.title[:193]} (copy)",
            description=project.description, template=project.template,
            platforms=project.platforms, style=project.style, voice_id=project.voice_id,
            language=project.language, script_provider=project.script_provider,
            media_provider=project.media_provider,
            allow_provider_fallback=project.allow_provider_fallback,
        )  # fmt: skip
        copy.voice_speed = project.voice_speed
        copy.target_duration_s = project.target_duration_s
        copy.duplicated_from = project
        source = project.script
        script = copy.script
        script.text, script.provider = source.text, source.provider
        script.template_based, script.scenes_hash = source.template_based, source.scenes_hash
        script.save()
        Scene.objects.bulk_create(
            Scene(script=script, position=scene.position, text=scene.text,
                  visual_direction=scene.visual_direction, keywords=scene.keywords,
                  speaker=scene.speaker, estimated_duration_s=scene.estimated_duration_s,
                  voice_id=scene.voice_id, voice_speed=scene.voice_speed)
            for scene in source.scenes.all()
        )  # fmt: skip
        if source.text:
            copy.status = (
                VideoProject.Status.STORYBOARD if script.scenes.exists()
                else VideoProject.Status.SCRIPTING
            )  # fmt: skip
        copy.save()
    return copy


def project_delete(*, project: VideoProject) -> None:
    """The project, its rows and their files (removed from storage once the delete commits)."""
    with transaction.atomic():
        project.delete()
