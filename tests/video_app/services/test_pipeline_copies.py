"""A step handed out twice at once (a redelivered task, a step queued again by a copy of the
step before it) saves its work once: the copy that saves first wins, and the other's files go.
Each test starts a copy of the step while the step is between its work and its save."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.video_app.factories import make_project
from video_app.engine import voice
from video_app.models import AudioAsset, MediaAsset, Scene
from video_app.services import pipeline, projects

pytestmark = [pytest.mark.django_db(databases="__all__"), pytest.mark.usefixtures("media_root")]


@pytest.fixture
def run(alice, queued):
    project = make_project(alice, platforms=("tiktok", "instagram_reels"))
    number = projects.run_start(project=project, kind="render")  # queued: the steps run here
    pipeline.split_project_script(project.pk, number)
    return project, number


def stored_files(folder: str) -> list[str]:
    """The names of the files in a folder of storage (this test's own)."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(
        str(path.relative_to(root)) for path in (root / folder).rglob("*") if path.is_file()
    )


@pytest.fixture
def with_a_copy_first(monkeypatch, django_capture_on_commit_callbacks):
    """Run a step; when it calls `owner.name` (its work), a copy of the step runs to its end
    first. Files deleted after commit are deleted."""

    def run(step, owner, name: str) -> None:
        original = getattr(owner, name)

        def first_call(*args, **kwargs):
            monkeypatch.setattr(owner, name, original)
            step()
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, first_call)
        with django_capture_on_commit_callbacks(execute=True):
            step()

    return run


def test_it_keeps_one_voice_when_a_copy_of_the_step_saves_first(run, with_a_copy_first):
    project, number = run
    scene_id = pipeline.scene_ids(project)[0]

    with_a_copy_first(
        lambda: pipeline.make_scene_voice(project.pk, number, scene_id), voice, "synthesize"
    )

    [audio] = AudioAsset.objects.filter(scene_id=scene_id)
    assert Path(audio.file.path).stat().st_size > 0
    assert stored_files("voices") == [audio.file.name]


def test_it_keeps_one_picture_when_a_copy_of_the_step_saves_first(run, with_a_copy_first):
    project, number = run
    scene_id = pipeline.scene_ids(project)[0]

    with_a_copy_first(
        lambda: pipeline.make_scene_media(project.pk, number, scene_id), pipeline, "find_media"
    )

    [picture] = MediaAsset.objects.filter(user=project.user)
    assert Scene.objects.get(pk=scene_id).media == picture
    details = picture.details
    layers = [details.get("plate"), *(layer["path"] for layer in details.get("layers", ()))]
    kept = {picture.file.name, picture.thumbnail.name, *filter(None, layers)}
    assert stored_files("media") == sorted(kept)


@pytest.mark.slow  # a render
@pytest.mark.django_db(transaction=True, databases="__all__")  # it reports from threads
def test_it_keeps_one_master_when_a_copy_of_the_render_saves_first(run, with_a_copy_first):
    project, number = run
    for scene_id in pipeline.scene_ids(project):
        pipeline.make_scene_media(project.pk, number, scene_id)
        pipeline.make_scene_voice(project.pk, number, scene_id)

    with_a_copy_first(
        lambda: pipeline.render_masters(project.pk, number), pipeline, "render_timeline"
    )

    project.refresh_from_db()
    [master] = project.masters.values()  # both platforms are 9:16
    masters = [name for name in stored_files("projects") if "/masters/" in name]
    assert masters == [master["file"]]
