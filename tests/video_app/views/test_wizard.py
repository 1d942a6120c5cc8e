"""The wizard's pages as the creator uses them: the script, the storyboard's scene edits (as page
posts and as the page script's in-place fetches), pictures and voices. Runs are checked as far
as the queue."""

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.video_app.factories import (
    STORYBOARD_TEXTS,
    make_project,
    make_storyboard,
    page_of,
    png_bytes,
    scenes,
    texts,
)
from video_app.engine import voice
from video_app.models import MediaAsset, Scene, VideoProject
from video_app.security.content_validator import ContentValidator
from video_app.services import media_library, storyboard
from video_app.views.wizard import BUSY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root", "no_progress_news")]

FETCH = {"X-Requested-With": "fetch"}


@pytest.fixture
def project(alice):
    return make_storyboard(alice)


def make_busy(project):
    VideoProject.objects.filter(pk=project.pk).update(run_state=VideoProject.RunState.RUNNING)


# --- script -------------------------------------------------------------------------------------


def test_it_saves_the_script_and_moves_to_the_script_stage(
    alice_client, alice, queued, django_capture_on_commit_callbacks
):
    project = make_project(alice, script="")
    text = "Shells wash up every morning.\n\nChildren collect them."

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            f"/projects/{project.pk}/script/", {"text": text, "save": ""}, follow=True
        )

    assert response.redirect_chain == [(f"/projects/{project.pk}/script/", 302)]
    assert "Script saved." in page_of(response)
    project.refresh_from_db()
    assert project.script.text == text
    assert project.status == VideoProject.Status.SCRIPTING
    assert queued == []


def test_it_saves_the_script_and_queues_the_storyboard(
    alice_client, alice, queued, django_capture_on_commit_callbacks
):
    project = make_project(alice, script="")

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            f"/projects/{project.pk}/script/", {"text": "Shells wash up.", "split": ""}, follow=True
        )

    assert response.redirect_chain == [(f"/projects/{project.pk}/storyboard/", 302)]
    assert "Splitting your script into scenes" in page_of(response)
    project.refresh_from_db()
    assert project.script.text == "Shells wash up."
    assert (project.run_kind, project.run_state) == ("scenes", "queued")
    assert queued == [(project.pk, 1, [], False)]


def test_it_shows_the_error_of_an_empty_script(alice_client, alice, queued):
    project = make_project(alice)

    response = alice_client.post(f"/projects/{project.pk}/script/", {"text": "", "save": ""})

    assert "This field is required." in page_of(response)
    project.refresh_from_db()
    assert project.script.text.startswith("[a sunrise over the sea]")


def test_it_queues_a_script_run_when_asked_to_write_one(
    alice_client, alice, queued, django_capture_on_commit_callbacks
):
    project = make_project(alice, script="")

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/projects/{project.pk}/script/generate/", follow=True)

    assert response.redirect_chain == [(f"/projects/{project.pk}/script/", 302)]
    assert "Writing a script from your title and description" in page_of(response)
    project.refresh_from_db()
    assert (project.run_kind, project.run_state) == ("script", "queued")
    assert queued == [(project.pk, 1, [], False)]


def test_it_asks_for_a_script_before_making_the_storyboard(alice_client, alice, queued):
    project = make_project(alice, script="")

    response = alice_client.post(f"/projects/{project.pk}/scenes/make/", follow=True)

    assert response.redirect_chain == [(f"/projects/{project.pk}/script/", 302)]
    assert "Write or generate a script first." in page_of(response)
    project.refresh_from_db()
    assert project.run_number == 0


# --- storyboard ---------------------------------------------------------------------------------


def test_it_shows_the_scenes_on_the_storyboard(alice_client, project):
    page = page_of(alice_client.get(f"/projects/{project.pk}/storyboard/"))

    assert page.count('class="card h-100 scene-card"') == 3
    assert all(text in page for text in STORYBOARD_TEXTS)
    assert '<span class="badge text-bg-light border">shells</span>' in page


def test_it_saves_a_scene_edit_and_says_so(alice_client, project):
    scene = scenes(project)[0]

    response = alice_client.post(
        f"/projects/{project.pk}/scenes/{scene.pk}/edit/",
        {"text": "A lighthouse guides the fishing boats home.", "visual_direction": "a lighthouse"},
        follow=True,
    )

    assert response.redirect_chain == [(f"/projects/{project.pk}/storyboard/", 302)]
    page = page_of(response)
    assert "Scene saved." in page
    assert "A lighthouse guides the fishing boats home." in page
    scene.refresh_from_db()
    assert scene.visual_direction == "a lighthouse"
    assert "lighthouse" in scene.keywords


def test_it_answers_an_in_place_edit_with_the_new_keywords(alice_client, project):
    scene = scenes(project)[0]

    response = alice_client.post(
        f"/projects/{project.pk}/scenes/{scene.pk}/edit/",
        {"text": "A lighthouse guides the fishing boats home.", "visual_direction": ""},
        headers=FETCH,
    )

    assert response.status_code == 200
    answer = response.json()
    assert answer["ok"] is True and answer["error"] == ""
    assert answer["keywords"] == ["fishing boats", "home", "lighthouse"]
    assert answer["estimated_duration_s"] > 0
    scene.refresh_from_db()
    assert scene.keywords == answer["keywords"]


def test_it_refuses_a_scene_with_nothing_to_say_or_show(alice_client, project):
    scene = scenes(project)[0]
    url = f"/projects/{project.pk}/scenes/{scene.pk}/edit/"

    fetched = alice_client.post(url, {"text": "  ", "visual_direction": ""}, headers=FETCH)
    posted = alice_client.post(url, {"text": "", "visual_direction": ""}, follow=True)

    assert fetched.status_code == 400
    assert fetched.json() == {
        "ok": False,
        "error": "A scene needs words to say or a picture to show.",
    }
    assert "A scene needs words to say or a picture to show." in page_of(posted)
    assert texts(project) == list(STORYBOARD_TEXTS)


@pytest.mark.parametrize(
    ("moved", "direction", "order"),
    [(1, "up", [1, 0, 2]), (0, "down", [1, 0, 2]), (2, "down", [0, 1, 2])],
)
def test_it_moves_a_scene(alice_client, project, moved, direction, order):
    scene = scenes(project)[moved]

    response = alice_client.post(
        f"/projects/{project.pk}/scenes/{scene.pk}/move/", {"direction": direction}
    )

    assert response.status_code == 302
    assert texts(project) == [STORYBOARD_TEXTS[index] for index in order]


def test_it_splits_a_scene_where_the_creator_clicked(alice_client, project):
    scene = scenes(project)[0]

    response = alice_client.post(
        f"/projects/{project.pk}/scenes/{scene.pk}/split/", {"at": 18}, follow=True
    )

    assert "Scene split in two." in page_of(response)
    rest = STORYBOARD_TEXTS[0].removeprefix("Every morning the ")
    assert texts(project) == ["Every morning the", rest, *STORYBOARD_TEXTS[1:]]


def test_it_splits_a_scene_between_its_middle_sentences(alice_client, project):
    scene = scenes(project)[1]
    storyboard.scene_update(scene=scene, text="One. Two. Three. Four.")

    alice_client.post(f"/projects/{project.pk}/scenes/{scene.pk}/split/", {"at": ""})

    assert texts(project) == [STORYBOARD_TEXTS[0], "One. Two.", "Three. Four.", STORYBOARD_TEXTS[2]]


def test_it_says_why_a_single_sentence_cannot_be_split(alice_client, project):
    scene = scenes(project)[2]

    response = alice_client.post(f"/projects/{project.pk}/scenes/{scene.pk}/split/", follow=True)

    assert "This scene has a single sentence; there is nothing to split." in page_of(response)
    assert texts(project) == list(STORYBOARD_TEXTS)


def test_it_merges_a_scene_with_the_next(alice_client, project):
    scene = scenes(project)[0]

    response = alice_client.post(f"/projects/{project.pk}/scenes/{scene.pk}/merge/", follow=True)

    assert "Scenes merged." in page_of(response)
    assert texts(project) == [f"{STORYBOARD_TEXTS[0]} {STORYBOARD_TEXTS[1]}", STORYBOARD_TEXTS[2]]


def test_it_deletes_a_scene(alice_client, project):
    scene = scenes(project)[1]

    response = alice_client.post(f"/projects/{project.pk}/scenes/{scene.pk}/delete/", follow=True)

    assert "Scene deleted." in page_of(response)
    assert texts(project) == [STORYBOARD_TEXTS[0], STORYBOARD_TEXTS[2]]


def test_it_keeps_the_last_scene(alice_client, alice):
    project = make_project(alice)
    scene = storyboard.scene_add(project=project, text="Only this.")

    response = alice_client.post(f"/projects/{project.pk}/scenes/{scene.pk}/delete/", follow=True)

    assert "A video needs at least one scene." in page_of(response)
    assert texts(project) == ["Only this."]


def test_it_adds_a_scene_after_another(alice_client, project):
    first = scenes(project)[0]

    response = alice_client.post(
        f"/projects/{project.pk}/scenes/add/",
        {"text": "Gulls watch.", "after": first.pk},
        follow=True,
    )

    assert "Scene added." in page_of(response)
    assert texts(project) == [STORYBOARD_TEXTS[0], "Gulls watch.", *STORYBOARD_TEXTS[1:]]


def test_it_adds_a_scene_at_the_end(alice_client, project):
    alice_client.post(f"/projects/{project.pk}/scenes/add/", {"text": "Gulls watch."})

    assert texts(project) == [*STORYBOARD_TEXTS, "Gulls watch."]


def test_it_asks_for_the_words_of_a_new_scene(alice_client, project):
    response = alice_client.post(f"/projects/{project.pk}/scenes/add/", {"text": ""}, follow=True)

    assert "Write what the new scene should say." in page_of(response)
    assert texts(project) == list(STORYBOARD_TEXTS)


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("edit", {"text": "Changed words.", "visual_direction": ""}),
        ("move", {"direction": "down"}),
        ("split", {"at": 10}),
        ("merge", {}),
        ("delete", {}),
    ],
)
def test_it_refuses_scene_edits_while_a_run_is_busy(alice_client, project, action, data):
    scene = scenes(project)[0]
    make_busy(project)

    response = alice_client.post(
        f"/projects/{project.pk}/scenes/{scene.pk}/{action}/", data, follow=True
    )
    fetched = alice_client.post(
        f"/projects/{project.pk}/scenes/{scene.pk}/{action}/", data, headers=FETCH
    )

    assert BUSY in page_of(response)
    assert (fetched.status_code, fetched.json()["error"]) == (400, BUSY)
    assert texts(project) == list(STORYBOARD_TEXTS)


def test_it_refuses_to_add_a_scene_while_a_run_is_busy(alice_client, project):
    make_busy(project)

    response = alice_client.post(
        f"/projects/{project.pk}/scenes/add/", {"text": "Gulls."}, follow=True
    )

    assert BUSY in page_of(response)
    assert texts(project) == list(STORYBOARD_TEXTS)


# --- pictures -----------------------------------------------------------------------------------


def test_it_keeps_an_uploaded_picture_in_the_library_and_shows_it_in_the_scene(
    alice_client, alice, project
):
    scene = scenes(project)[0]

    response = alice_client.post(
        f"/projects/{project.pk}/scenes/{scene.pk}/media/upload/",
        {
            "file": SimpleUploadedFile(
                "beach.png", png_bytes(colour="#f1c40f"), content_type="image/png"
            )
        },
        follow=True,
    )

    page = page_of(response)
    assert "Your upload now shows in scene 1 and is kept in your library." in page
    [upload] = MediaAsset.objects.filter(user=alice, source=MediaAsset.Source.UPLOAD)
    assert (upload.kind, upload.width, upload.height) == ("image", 320, 200)
    assert upload.scene is None
    assert default_storage.exists(upload.file.name)
    assert default_storage.exists(upload.thumbnail.name)
    scene.refresh_from_db()
    assert scene.media.source == MediaAsset.Source.LIBRARY
    assert scene.media.file.name == upload.file.name
    thumbnail_url = f"/library/{scene.media.pk}/thumbnail/"
    assert f'src="{thumbnail_url}"' in page
    assert f'<option value="{upload.pk}">' in page  # offered to the other scenes
    thumbnail = alice_client.get(thumbnail_url)
    assert b"".join(thumbnail.streaming_content).startswith(b"\xff\xd8")  # a JPEG


def test_it_refuses_a_text_file_named_like_a_picture(alice_client, alice, project):
    scene = scenes(project)[0]

    response = alice_client.post(
        f"/projects/{project.pk}/scenes/{scene.pk}/media/upload/",
        {"file": SimpleUploadedFile("beach.png", b"just some words\n", content_type="image/png")},
        follow=True,
    )

    page = page_of(response)
    assert response.redirect_chain == [(f"/projects/{project.pk}/media/", 302)]
    assert "Scene 1: This file isn&#x27;t a picture or video we can read" in page
    assert "it looks like a text file" in page
    assert not MediaAsset.objects.exists()
    scene.refresh_from_db()
    assert scene.media is None


def test_it_shows_a_library_picture_in_a_scene(alice_client, alice, project):
    upload = ContentValidator().validate(
        SimpleUploadedFile("beach.png", png_bytes(colour="#f1c40f"))
    )
    library = media_library.store_upload(user=alice, upload=upload, title="Beach")
    scene = scenes(project)[1]

    response = alice_client.post(
        f"/projects/{project.pk}/scenes/{scene.pk}/media/pick/", {"asset": library.pk}, follow=True
    )

    assert response.redirect_chain == [(f"/projects/{project.pk}/media/", 302)]
    assert "Scene 2 now shows “Beach”." in page_of(response)
    scene.refresh_from_db()
    assert scene.media.pk != library.pk
    assert (scene.media.source, scene.media.file.name) == ("library", library.file.name)


def test_it_queues_a_new_picture_for_one_scene(
    alice_client, project, queued, django_capture_on_commit_callbacks
):
    scene = scenes(project)[1]

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            f"/projects/{project.pk}/scenes/{scene.pk}/media/regenerate/", follow=True
        )

    assert "Making a new picture for scene 2" in page_of(response)
    project.refresh_from_db()
    assert (project.run_kind, project.run_state) == ("media", "queued")
    assert queued == [(project.pk, 1, [scene.pk], True)]


@pytest.mark.parametrize(
    ("page", "kind", "message"),
    [
        ("media", "media", "Finding a picture for every scene"),
        ("voice", "voice", "Recording the voice of every scene"),
    ],
)
def test_it_queues_work_for_every_scene(
    alice_client, project, queued, django_capture_on_commit_callbacks, page, kind, message
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/projects/{project.pk}/{page}/", follow=True)

    assert response.redirect_chain == [(f"/projects/{project.pk}/{page}/", 302)]
    assert message in page_of(response)
    project.refresh_from_db()
    assert (project.run_kind, project.run_state) == (kind, "queued")
    assert queued == [(project.pk, 1, [], False)]


# --- voices -------------------------------------------------------------------------------------


def test_it_changes_a_scenes_voice_and_records_it_again(
    alice_client, project, queued, django_capture_on_commit_callbacks
):
    scene = scenes(project)[2]
    voice_id = voice.available_voices()[-1].id
    prefix = f"scene-{scene.pk}"

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            f"/projects/{project.pk}/scenes/{scene.pk}/voice/",
            {f"{prefix}-voice_id": voice_id, f"{prefix}-speed": "1.25"},
            follow=True,
        )

    page = page_of(response)
    assert "Recording scene 3 again" in page
    assert f'<option value="{voice_id}" selected>' in page
    assert re.search(rf'name="{prefix}-speed"\s+id="id_{prefix}-speed" value="1.25"', page)
    scene.refresh_from_db()
    assert (scene.voice_id, scene.voice_speed) == (voice_id, 1.25)
    assert queued == [(project.pk, 1, [scene.pk], True)]


def test_it_refuses_a_speed_out_of_range(
    alice_client, project, queued, django_capture_on_commit_callbacks
):
    scene = scenes(project)[0]
    prefix = f"scene-{scene.pk}"

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            f"/projects/{project.pk}/scenes/{scene.pk}/voice/",
            {f"{prefix}-voice_id": "", f"{prefix}-speed": "5"},
            follow=True,
        )

    assert "Scene 1: choose a voice and a speed between 0.5 and 2." in page_of(response)
    scene.refresh_from_db()
    assert scene.voice_speed is None
    assert queued == []


def add_pictured_scenes(project, alice, count):
    """`count` more scenes, each with a picture (and thumbnail) and a voice row."""
    from video_app.models import AudioAsset

    start = project.script.scenes.count()
    for position in range(start, start + count):
        scene = Scene.objects.create(
            script=project.script,
            position=position,
            text=f"Scene number {position} has a few words.",
        )
        asset = MediaAsset(user=alice, scene=scene, kind="image", source="procedural")
        asset.file.save(
            f"scene-{position}.png", io.BytesIO(png_bytes(colour="#f1c40f")), save=False
        )
        asset.thumbnail.save(
            f"scene-{position}-thumb.png", io.BytesIO(png_bytes(colour="#f1c40f")), save=False
        )
        asset.save()
        scene.media = asset
        scene.save(update_fields=["media"])
        AudioAsset.objects.create(
            scene=scene,
            file=f"voices/{alice.pk}/{position}.wav",
            voice_id="piper:en_US-joe-medium",
            provider="piper",
            duration_s=1.0,
            input_hash="h",
        )


@pytest.mark.parametrize("page", ["storyboard", "media", "voice", "render"])
def test_it_shows_many_scenes_in_as_many_queries_as_few(
    page, alice_client, alice, project, django_assert_max_num_queries, django_assert_num_queries
):
    url = f"/projects/{project.pk}/{page}/"
    add_pictured_scenes(project, alice, 3)
    alice_client.get(url)  # the day's first visit is also recorded (analytics): not counted here
    with django_assert_max_num_queries(20) as few:
        assert alice_client.get(url).status_code == 200
    add_pictured_scenes(project, alice, 27)

    with django_assert_num_queries(len(few.captured_queries)):
        assert alice_client.get(url).status_code == 200
