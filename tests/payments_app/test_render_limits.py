"""The plan's render limits hold whatever path asks and however many ask at once: one decision
(`projects.renders_claim`, under the user's plan lock, inside the transaction that starts the
run) counts the renders in flight against both renders at a time and renders per period."""

import pytest
from django.contrib.auth import get_user_model

from payments_app import services
from payments_app.models import Plan, RenderUsage
from tests.burst import burst
from tests.video_app.factories import make_project
from video_app.models import VideoProject
from video_app.services import projects, variations

from .test_quotas import use_up_free_renders


def grant(user, **limits) -> Plan:
    plan = Plan.objects.create(slug="studio", name="Studio", price_label="Test", **limits)
    services.grant_plan(user=user, plan=plan)
    return plan


@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.parametrize(
    ("limits", "started"),
    [
        ({"concurrent_renders": 50, "renders_per_period": 5}, 5),
        ({"concurrent_renders": 3, "renders_per_period": 100}, 3),
    ],
    ids=["per-period", "at-a-time"],
)
def test_it_never_exceeds_the_plan_under_50_render_requests_from_several_processes(
    alice, subprocess_env, tmp_path, limits, started
):
    grant(alice, **limits)
    ids = [make_project(alice, title=f"Video {n}").pk for n in range(50)]

    outcomes = burst(
        env=subprocess_env,
        folder=tmp_path,
        job={"kind": "renders", "project_ids": ids},
        processes=5,
        calls=50,
    )

    refused = "refused:renders" if limits["renders_per_period"] < 50 else "refused:concurrent"
    assert sorted(set(outcomes)) == sorted({"started", refused}), outcomes
    assert outcomes.count("started") == started
    in_flight = VideoProject.objects.filter(pk__in=ids, run_state=VideoProject.RunState.QUEUED)
    assert in_flight.count() == started


@pytest.mark.django_db(databases="__all__")
def test_it_holds_a_period_render_for_each_render_in_flight(alice, queued):
    grant(alice, concurrent_renders=3, renders_per_period=5)
    use_up_free_renders(alice, count=3)
    first, second, third = (make_project(alice, title=f"Video {n}") for n in range(3))
    projects.run_start(project=first, kind="render")
    projects.run_start(project=second, kind="render")  # 3 done + 2 rendering: 5 of 5

    with pytest.raises(projects.RenderRefused) as refused:
        projects.run_start(project=third, kind="render")

    assert refused.value.refusal.limit == "renders"
    assert refused.value.message.startswith(
        "Your Studio plan allows 5 renders this period, and with the ones in progress all of "
        "them are taken."
    )
    third.refresh_from_db()
    assert third.run_number == 0


@pytest.mark.django_db(databases="__all__")
def test_it_gives_the_slot_back_when_a_render_in_flight_fails(alice, queued):
    use_up_free_renders(alice, count=4)
    first, second = make_project(alice), make_project(alice, title="Tides")
    projects.run_start(project=first, kind="render")
    projects.project_mark_failed(project=first, reason="Stopped")

    projects.run_start(project=second, kind="render")  # the 5th of 5: the failure never counted

    second.refresh_from_db()
    assert second.run_state == VideoProject.RunState.QUEUED


@pytest.mark.django_db(databases="__all__")
def test_it_refuses_a_retry_over_the_plan(alice, queued):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")
    projects.project_mark_failed(project=project, reason="Stopped")
    use_up_free_renders(alice)

    with pytest.raises(projects.RenderRefused, match="You have used the 5 renders"):
        projects.project_retry(project=project)

    project.refresh_from_db()
    assert project.run_state == VideoProject.RunState.FAILED


@pytest.mark.django_db(databases="__all__")
def test_it_makes_no_variation_when_the_batch_does_not_fit_at_decision_time(alice, queued):
    grant(alice, concurrent_renders=5, renders_per_period=5)
    project = make_project(alice)
    use_up_free_renders(alice, count=4)  # after any check a page made: only the start decides
    wanted = variations.variations_of(styles=("bold", "minimal"))

    with pytest.raises(projects.RenderRefused, match="These 2 renders need 2"):
        variations.variations_create(project=project, variations=wanted, render=True)

    assert VideoProject.objects.filter(user=alice).count() == 1


@pytest.mark.django_db(databases="__all__")
def test_it_makes_staff_re_renders_obey_the_owner_s_plan(alice, client, queued):
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw-12345")
    client.force_login(staff)
    project = make_project(alice)
    use_up_free_renders(alice)

    response = client.post(
        "/admin/video_app/videoproject/",
        {"action": "re_render", "_selected_action": [project.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "You have used the 5 renders of your Free plan for this period." in page
    assert "0 render(s) queued." in page
    project.refresh_from_db()
    assert project.run_number == 0
    assert RenderUsage.objects.filter(project_id=project.pk).count() == 0


@pytest.mark.django_db(databases="__all__")
def test_it_answers_a_render_the_plan_refuses_with_the_plan_s_page(alice, alice_client, queued):
    project = make_project(alice)
    use_up_free_renders(alice)

    response = alice_client.post(f"/projects/{project.pk}/render/", follow=True)

    assert "You have used the 5 renders of your Free plan" in response.content.decode()
    project.refresh_from_db()
    assert project.run_number == 0
