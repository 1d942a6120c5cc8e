"""Rows for tests, made through the same services the product uses."""

from video_app.models import Scene, VideoTemplate
from video_app.services import projects, storyboard

SHORT_SCRIPT = (
    "[a sunrise over the sea] Every morning the tide brings new shells to the beach.\n\n"
    "[children on the sand] Children collect them before breakfast.\n\n"
    "[a shell in a hand] Each shell was once a home."
)


def make_project(
    user,
    *,
    title="Shells on the beach",
    script=SHORT_SCRIPT,
    platforms=("instagram_square",),
    **fields,
):
    project = projects.project_create(
        user=user,
        title=title,
        description=fields.pop("description", "Where shells come from"),
        template=VideoTemplate.objects.filter(slug="explainer").first(),
        platforms=list(platforms),
        style=fields.pop("style", "modern"),
        voice_id=fields.pop("voice_id", ""),
        language=fields.pop("language", "en"),
    )
    if script:
        projects.script_save(project=project, text=script)
    return project


# A storyboard made scene by scene (not split from a script); the first scene has two sentences.
STORYBOARD_TEXTS = (
    "Every morning the tide brings new shells to the beach. The sand is still wet.",
    "Children collect them before breakfast.",
    "Each shell was once a home.",
)


def make_storyboard(user, texts=STORYBOARD_TEXTS):
    project = make_project(user)
    for text in texts:
        storyboard.scene_add(project=project, text=text)
    return project


def scenes(project) -> list[Scene]:
    return list(Scene.objects.filter(script__project=project).order_by("position"))


def texts(project) -> list[str]:
    return [scene.text for scene in scenes(project)]
