"""Suggested settings on the project form: filled in with their reasons shown, nothing saved."""

import re

import pytest
from django.urls import reverse

from payments_app.models import Plan
from payments_app.services import grant_plan
from tests.video_app.factories import make_project
from video_app.models import VideoProject, VideoTemplate

CREATE = reverse("video_app:project_create")


def suggest(client, url=CREATE, **fields):
    data = {
        "title": "",
        "description": "",
        "style": "modern",
        "platforms": ["youtube"],
        "language": "en",
        "suggest": "1",
        **fields,
    }
    return client.post(url, data)


@pytest.mark.django_db
def test_suggestions_fill_in_the_form_and_show_why(alice_client):
    response = suggest(alice_client, title="Knots", description="How to tie a tie, for TikTok")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Tutorials on TikTok do best at 45–60 s." in page
    assert "Your description mentions" in page
    form = response.context["form"]
    tutorial = response.context["suggestion"]
    assert tutorial.template == "tutorial"
    assert form["template"].value() == VideoTemplate.objects.get(slug="tutorial").pk
    assert form["platforms"].value() == ["tiktok"]
    assert form["target_duration_s"].value() == 52
    # What the creator typed stays.
    assert form["title"].value() == "Knots"
    assert re.search(r'id="template-tutorial"\s+checked', page)
    assert len(re.findall(r'name="template"[^>]*checked', page)) == 1
    assert not VideoProject.objects.exists()


@pytest.mark.django_db
def test_the_plan_limit_shapes_the_suggested_length(alice, alice_client):
    free = suggest(alice_client, title="Bread", description="How to bake bread, step by step")
    assert free.context["suggestion"].duration_range_s == (60, 60)

    grant_plan(user=alice, plan=Plan.objects.get(slug="pro"))
    pro = suggest(alice_client, title="Bread", description="How to bake bread, step by step")
    assert pro.context["suggestion"].duration_range_s == (180, 300)


@pytest.mark.django_db
def test_without_a_description_there_is_nothing_to_suggest_from(alice_client):
    response = suggest(alice_client)

    assert response.status_code == 200
    assert response.context["suggestion"] is None
    assert "Describe your video first" in response.content.decode()


@pytest.mark.django_db
def finished_project(user, **fields):
    project = make_project(user, **fields)
    VideoProject.objects.filter(pk=project.pk).update(status=VideoProject.Status.COMPLETED)
    return project


@pytest.mark.django_db
def test_the_creators_finished_projects_count_as_habits(alice, alice_client):
    for _ in range(2):
        finished_project(alice, style="nature", platforms=["instagram_reels"])

    response = suggest(alice_client, title="Our street", description="Life on our street")
    assert "Life on our street" in response.content.decode()

    suggestion = response.context["suggestion"]
    assert suggestion.style == "nature"
    assert suggestion.platforms == ("instagram_reels",)
    assert "2 of your finished videos went to Instagram Reels." in response.content.decode()


@pytest.mark.django_db
def test_settings_page_suggests_without_saving_or_counting_itself(alice, alice_client):
    project = finished_project(alice, style="bold", platforms=["youtube"])
    finished_project(alice, style="bold")
    url = reverse("video_app:project_settings", args=[project.pk])

    response = suggest(alice_client, url, title=project.title, description="A walk in the forest")

    assert response.context["suggestion"].style == "nature"
    project.refresh_from_db()
    assert project.style == "bold"  # not saved
    # Its own history is left out: one other bold project is no habit.
    response = suggest(alice_client, url, title="Neighbours", description="Our street")
    assert response.context["suggestion"].reasons["style"] == "Modern is a safe look for any topic."


@pytest.mark.django_db
def test_another_users_project_gives_no_suggestions(alice, client, bob):
    project = make_project(alice)
    client.force_login(bob)

    response = suggest(
        client,
        reverse("video_app:project_settings", args=[project.pk]),
        title="x",
        description="How to",
    )

    assert response.status_code == 404


@pytest.mark.django_db
def test_the_suggested_length_is_saved_when_the_project_is_created(alice_client):
    response = alice_client.post(
        CREATE,
        {
            "title": "Knots",
            "description": "How to tie a tie",
            "style": "modern",
            "platforms": ["tiktok"],
            "language": "en",
            "target_duration_s": "52",
            "allow_provider_fallback": "on",
        },
    )

    assert response.status_code == 302
    assert VideoProject.objects.get().target_duration_s == 52


@pytest.mark.django_db
def test_a_length_out_of_range_is_refused_with_the_range(alice_client):
    response = alice_client.post(
        CREATE,
        {
            "title": "Knots",
            "style": "modern",
            "platforms": ["tiktok"],
            "language": "en",
            "target_duration_s": "4000",
        },
    )

    assert response.status_code == 200
    assert "between 10 and 600 seconds" in response.content.decode()
    assert not VideoProject.objects.exists()
