"""Storyboard edits: scene order stays dense, changed words get fresh keywords and length, the
project goes back to the storyboard stage, and library pictures share their files safely."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.video_app.factories import (
    STORYBOARD_TEXTS,
    make_project,
    make_storyboard,
    scenes,
    texts,
)
from video_app.models import MediaAsset, VideoProject
from video_app.security.content_validator import ContentValidator
from video_app.services import media_library, storyboard
from video_app.services.storyboard import StoryboardError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def project(alice):
    return make_storyboard(alice)


def positions(project) -> list[int]:
    return [scene.position for scene in scenes(project)]


def library_picture(user, title="Beach") -> MediaAsset:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), "#2471a3").save(out, format="PNG")
    upload = ContentValidator().validate(SimpleUploadedFile("beach.png", out.getvalue()))
    return media_library.store_upload(user=user, upload=upload, title=title)


# --- order --------------------------------------------------------------------------------------

EDITS = {
    "move up": lambda project: storyboard.scene_move(scene=scenes(project)[2], offset=-1),
    "move down": lambda project: storyboard.scene_move(scene=scenes(project)[0], offset=1),
    "split": lambda project: storyboard.scene_split(scene=scenes(project)[0]),
    "split at": lambda project: storyboard.scene_split(scene=scenes(project)[1], at=9),
    "merge": lambda project: storyboard.scene_merge_with_next(scene=scenes(project)[0]),
    "delete": lambda project: storyboard.scene_delete(scene=scenes(project)[0]),
    "add after": lambda project: storyboard.scene_add(
        project=project, text="Gulls watch.", after=scenes(project)[0]
    ),
    "add": lambda project: storyboard.scene_add(project=project, text="Gulls watch."),
    "update": lambda project: storyboard.scene_update(scene=scenes(project)[1], text="Gulls."),
}
EXPECTED = {
    "move up": [STORYBOARD_TEXTS[0], STORYBOARD_TEXTS[2], STORYBOARD_TEXTS[1]],
    "move down": [STORYBOARD_TEXTS[1], STORYBOARD_TEXTS[0], STORYBOARD_TEXTS[2]],
    "split": [
        "Every morning the tide brings new shells to the beach.",
        "The sand is still wet.",
        *STORYBOARD_TEXTS[1:],
    ],
    "split at": [
        STORYBOARD_TEXTS[0],
        "Children",
        "collect them before breakfast.",
        STORYBOARD_TEXTS[2],
    ],
    "merge": [f"{STORYBOARD_TEXTS[0]} {STORYBOARD_TEXTS[1]}", STORYBOARD_TEXTS[2]],
    "delete": list(STORYBOARD_TEXTS[1:]),
    "add after": [STORYBOARD_TEXTS[0], "Gulls watch.", *STORYBOARD_TEXTS[1:]],
    "add": [*STORYBOARD_TEXTS, "Gulls watch."],
    "update": [STORYBOARD_TEXTS[0], "Gulls.", STORYBOARD_TEXTS[2]],
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_it_keeps_positions_dense_after_every_edit(project, edit):
    EDITS[edit](project)

    assert texts(project) == EXPECTED[edit]
    assert positions(project) == list(range(len(EXPECTED[edit])))


def test_it_keeps_positions_dense_after_a_series_of_edits(project):
    for edit in ("split", "move up", "add after", "merge", "delete", "split at", "move down"):
        EDITS[edit](project)
        assert positions(project) == list(range(len(scenes(project))))


def test_it_does_nothing_when_moving_past_either_end(project):
    storyboard.scene_move(scene=scenes(project)[0], offset=-1)
    storyboard.scene_move(scene=scenes(project)[2], offset=1)

    assert texts(project) == list(STORYBOARD_TEXTS)


# --- words --------------------------------------------------------------------------------------


def test_it_recomputes_keywords_and_length_when_the_words_change(project):
    scene = scenes(project)[2]
    short_s = scene.estimated_duration_s

    storyboard.scene_update(
        scene=scene,
        text="A lighthouse guides the fishing boats home at night, through fog, "
        "rain and the long winter storms of the northern sea.",
    )

    scene.refresh_from_db()
    # The noun, not "lighthouse guides": the verb after it names nothing to show.
    assert "lighthouse" in scene.keywords
    assert "shell" not in " ".join(scene.keywords)
    assert scene.estimated_duration_s > short_s * 2


def test_it_keeps_keywords_when_only_the_picture_direction_changes(project):
    scene = scenes(project)[2]
    before = (scene.keywords, scene.estimated_duration_s)

    storyboard.scene_update(scene=scene, text=scene.text, visual_direction="a shell in a hand")

    scene.refresh_from_db()
    assert (scene.keywords, scene.estimated_duration_s) == before
    assert scene.visual_direction == "a shell in a hand"


def test_it_gives_both_halves_of_a_split_their_own_keywords(project):
    new = storyboard.scene_split(scene=scenes(project)[0])

    first = scenes(project)[0]
    assert new.keywords and first.keywords
    assert "sand" in " ".join(new.keywords)
    assert "sand" not in " ".join(first.keywords)


def test_it_keeps_a_scene_that_only_shows_a_picture(project):
    scene = storyboard.scene_update(scene=scenes(project)[2], text="", visual_direction="waves")

    assert (scene.text, scene.keywords, scene.estimated_duration_s) == ("", [], 0.0)


# --- stage --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["media", "voice", "completed", "failed"])
def test_it_goes_back_to_the_storyboard_after_an_edit(project, status):
    VideoProject.objects.filter(pk=project.pk).update(status=status)

    storyboard.scene_update(scene=scenes(project)[0], text="New words.")

    project.refresh_from_db()
    assert project.status == VideoProject.Status.STORYBOARD


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_it_goes_back_to_the_storyboard_after_any_edit_once_pictures_exist(project, edit):
    VideoProject.objects.filter(pk=project.pk).update(status="media")
    project.refresh_from_db()

    EDITS[edit](project)

    project.refresh_from_db()
    assert project.status == VideoProject.Status.STORYBOARD


def test_it_keeps_the_script_stage_before_the_storyboard_is_made(project):
    assert project.status == VideoProject.Status.SCRIPTING

    storyboard.scene_update(scene=scenes(project)[0], text="New words.")

    project.refresh_from_db()
    assert project.status == VideoProject.Status.SCRIPTING


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda project: storyboard.scene_split(scene=scenes(project)[2]),
            "This scene has a single sentence; there is nothing to split.",
        ),
        (
            lambda project: storyboard.scene_split(scene=scenes(project)[2], at=500),
            "Split inside the text, so that both scenes keep some words.",
        ),
        (
            lambda project: storyboard.scene_merge_with_next(scene=scenes(project)[2]),
            "This is the last scene; there is no next scene to merge with.",
        ),
        (
            lambda project: storyboard.scene_update(scene=scenes(project)[0], text=" "),
            "A scene needs words to say or a picture to show.",
        ),
        (
            lambda project: storyboard.scene_add(project=project, text="  "),
            "Write what the new scene should say.",
        ),
    ],
    ids=["split single sentence", "split at the end", "merge last", "empty scene", "add empty"],
)
def test_it_refuses_impossible_edits_with_a_readable_reason(project, edit, message):
    before = texts(project)

    with pytest.raises(StoryboardError) as refused:
        edit(project)

    assert refused.value.message == message
    assert texts(project) == before
    assert positions(project) == list(range(len(before)))


def test_it_refuses_to_merge_scenes_too_long_for_one(project):
    long_words = "The tide rises and falls. " * 76
    storyboard.scene_update(scene=scenes(project)[1], text=long_words)

    with pytest.raises(StoryboardError) as refused:
        storyboard.scene_merge_with_next(scene=scenes(project)[0])

    assert refused.value.message == "Together these scenes would be too long for one scene."
    assert texts(project) == [STORYBOARD_TEXTS[0], long_words.strip(), STORYBOARD_TEXTS[2]]


def test_it_refuses_to_delete_the_only_scene(alice):
    project = make_project(alice)
    only = storyboard.scene_add(project=project, text="Only this.")

    with pytest.raises(StoryboardError, match=r"A video needs at least one scene\."):
        storyboard.scene_delete(scene=only)

    assert texts(project) == ["Only this."]


# --- pictures -----------------------------------------------------------------------------------


def test_it_refuses_another_users_picture(project, bob):
    scene = scenes(project)[0]
    bobs = library_picture(bob)

    with pytest.raises(StoryboardError, match=r"That picture is not in your library\."):
        storyboard.scene_pick_media(scene=scene, asset=bobs)

    scene.refresh_from_db()
    assert scene.media is None
    assert not MediaAsset.objects.filter(scene=scene).exists()


def test_it_replaces_a_scenes_previous_library_pick(project, alice):
    scene = scenes(project)[0]
    beach, dunes = library_picture(alice, "Beach"), library_picture(alice, "Dunes")

    first = storyboard.scene_pick_media(scene=scene, asset=beach)
    second = storyboard.scene_pick_media(scene=scene, asset=dunes)

    assert not MediaAsset.objects.filter(pk=first.pk).exists()
    assert list(MediaAsset.objects.filter(scene=scene)) == [second]
    assert MediaAsset.objects.filter(user=alice, source="upload").count() == 2


def test_it_keeps_a_shared_file_until_its_last_row_goes(
    project, alice, django_capture_on_commit_callbacks
):
    library = library_picture(alice)
    scene = scenes(project)[0]
    storyboard.scene_pick_media(scene=scene, asset=library)

    with django_capture_on_commit_callbacks(execute=True):
        storyboard.scene_delete(scene=scene)  # the scene's row goes with it

    assert not MediaAsset.objects.filter(source="library").exists()
    assert default_storage.exists(library.file.name)
    assert default_storage.exists(library.thumbnail.name)

    with django_capture_on_commit_callbacks(execute=True):
        library.delete()

    assert not default_storage.exists(library.file.name)
    assert not default_storage.exists(library.thumbnail.name)


def test_it_keeps_a_shared_file_a_scene_still_shows_when_the_upload_goes(
    project, alice, django_capture_on_commit_callbacks
):
    library = library_picture(alice)
    scene = scenes(project)[0]
    shown = storyboard.scene_pick_media(scene=scene, asset=library)

    with django_capture_on_commit_callbacks(execute=True):
        library.delete()

    assert default_storage.exists(shown.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        storyboard.scene_delete(scene=scene)

    assert not default_storage.exists(shown.file.name)


def test_it_deletes_a_generated_picture_with_its_scene(
    project, alice, django_capture_on_commit_callbacks
):
    scene = scenes(project)[1]
    generated = library_picture(alice)
    MediaAsset.objects.filter(pk=generated.pk).update(scene=scene, source="procedural")

    with django_capture_on_commit_callbacks(execute=True):
        storyboard.scene_merge_with_next(scene=scenes(project)[0])  # the second scene goes

    assert not MediaAsset.objects.filter(pk=generated.pk).exists()
    assert not default_storage.exists(generated.file.name)
    assert not default_storage.exists(generated.thumbnail.name)


def test_it_keeps_the_pictures_stage_when_a_picture_is_picked(project, alice):
    project.status = VideoProject.Status.VOICE
    project.save()
    scene = project.script.scenes.first()
    library = MediaAsset.objects.create(user=alice, kind="image", source="upload", file="x.png")

    storyboard.scene_pick_media(scene=scene, asset=library)

    project.refresh_from_db()
    assert project.status == VideoProject.Status.MEDIA
