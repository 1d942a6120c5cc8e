"""Rows for tests, made through the same services the product uses."""

from video_app.models import VideoTemplate
from video_app.services import projects

SHORT_SCRIPT = (
    "[a sunrise over the sea] Every morning the tide brings new shells to the beach.\n\n"
    "[children on the sand] Children collect them before breakfast.\n\n"
    "[a shell in a hand] Each shell was once a home."
)


def make_project(user, *, title="Shells on the beach", script=SHORT_SCRIPT,
                 platforms=("instagram_square",), **fields):  # fmt: skip
    project = projects.project_create(
        user=user, title=title, description=fields.pop("description", "Where shells come from"),
        template=VideoTemplate.objects.filter(slug="explainer").first(),
        platforms=list(platforms), style=fields.pop("style", "modern"),
        voice_id=fields.pop("voice_id", ""), language=fields.pop("language", "en"),
    )  # fmt: skip
    if script:
        projects.script_save(project=project, text=script)
    return project
