"""Plans as the product respects them: the render page refuses with an explanation, the render
step checks again, and a subscription (a signed webhook) lifts the limits."""

import time

import pytest

from payments_app import services
from payments_app.models import RenderUsage
from tests.video_app.engine.recordings import serve_always
from tests.video_app.factories import make_project
from video_app.engine.core.errors import InvalidInput
from video_app.models import VideoProject
from video_app.services import pipeline, projects

from .conftest import PRICES, event, post_event, subscription

pytestmark = pytest.mark.django_db(databases="__all__")


def use_up_free_renders(user, count=5):
    for number in range(count):
        RenderUsage.objects.create(user=user, project_id=10_000 + number, run_number=1)


def test_it_counts_a_render_once_however_often_it_is_reported(alice):
    assert services.record_render(alice, project_id=1, run_number=3, newest_output_run=3)
    assert not services.record_render(alice, project_id=1, run_number=3, newest_output_run=3)

    assert services.renders_used(alice) == 1


def test_it_does_not_count_a_render_that_delivers_only_files_of_a_counted_run(alice):
    services.record_render(alice, project_id=1, run_number=3, newest_output_run=3)

    # Run 4 re-rendered an unchanged project: every file it delivers was made by run 3.
    assert not services.record_render(alice, project_id=1, run_number=4, newest_output_run=3)

    assert services.renders_used(alice) == 1


def test_it_counts_files_of_a_failed_run_with_the_run_that_delivers_them(alice):
    services.record_render(alice, project_id=1, run_number=3, newest_output_run=3)

    # Run 4 exported, then failed before it was counted; run 5 (the retry) reuses its files.
    assert services.record_render(alice, project_id=1, run_number=5, newest_output_run=4)

    assert services.renders_used(alice) == 2


def test_it_does_not_count_renders_from_before_the_period(alice):
    old = RenderUsage.objects.create(user=alice, project_id=1, run_number=1)
    RenderUsage.objects.filter(pk=old.pk).update(rendered_at=old.rendered_at.replace(year=2020))

    assert services.renders_used(alice) == 0


def test_it_explains_the_limit_on_a_page_instead_of_rendering(alice_client, alice, queued):
    project = make_project(alice)
    use_up_free_renders(alice)

    response = alice_client.post(f"/projects/{project.pk}/render/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "You have used the 5 renders of your Free plan for this period." in page
    assert 'href="/pricing/"' in page
    project.refresh_from_db()
    assert project.run_number == 0 and queued == []


def test_it_refuses_a_second_render_at_once_on_free(alice_client, alice, queued):
    first, second = make_project(alice), make_project(alice, title="Tides")
    projects.run_start(project=first, kind="render")

    response = alice_client.post(f"/projects/{second.pk}/render/")

    assert response.status_code == 403
    assert "renders 1 video at a time" in response.content.decode()


def test_it_refuses_at_the_render_step_when_the_plan_changed_meanwhile(alice, queued, media_root):
    project = make_project(alice)
    run = projects.run_start(project=project, kind="render")  # allowed when asked
    pipeline.split_project_script(project.pk, run)
    use_up_free_renders(alice)  # ...but the quota is gone by the time a worker gets to it

    with pytest.raises(InvalidInput) as refusal:
        pipeline.render_masters(project.pk, run)

    assert "renders of your Free plan" in refusal.value.message
    assert RenderUsage.objects.filter(project_id=project.pk).count() == 0  # failures never count


def test_it_lifts_the_limits_after_a_signed_subscription_webhook(
    client, alice_client, alice, plans, stripe_api, webhook_url, queued
):
    serve_always(stripe_api, "stripe/webhook_objects")
    project = make_project(alice)
    use_up_free_renders(alice)
    assert alice_client.post(f"/projects/{project.pk}/render/").status_code == 403

    now = int(time.time())
    sub = subscription(
        price=PRICES["pro"],
        start=now,
        end=now + 30 * 24 * 3600,
        metadata={"user_id": str(alice.pk), "plan": "pro"},
    )
    assert (
        post_event(
            client, webhook_url, event("customer.subscription.created", sub, created=now)
        ).status_code
        == 200
    )

    response = alice_client.post(f"/projects/{project.pk}/render/")
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == VideoProject.Status.RENDERING and project.run_number == 1
    # The render step reads the plan again: Pro renders 1080p without a watermark (rendered for real
    # in tests/video_app/services/test_pipeline.py::test_it_renders_at_the_plan_s_resolution...).
    plan = services.plan_for(alice)
    assert (plan.slug, plan.max_height_px, plan.watermark) == ("pro", 1080, False)


def test_it_puts_paid_renders_ahead_in_the_queue(alice, bob, plans):
    services.grant_plan(user=bob, plan=plans["pro"])

    # Redis serves priority 0 first: Pro (plan priority 9) before Free (0).
    assert services.render_priority(bob) == 0
    assert services.render_priority(alice) == 9
