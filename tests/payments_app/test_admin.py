"""Billing admin as staff use it: plans, comped accounts, usage as a record."""

from datetime import timedelta

import pytest
from django.utils import timezone

from payments_app import services
from payments_app.models import Membership, RenderUsage


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("charlie", "charlie@example.com", "pw")
    client.force_login(admin)
    return client


def test_it_lists_plans_memberships_and_usage(staff_client, alice, plans):
    Membership.objects.create(
        user=alice, plan=plans["pro"], source="stripe", stripe_customer_id="cus_Alice"
    )
    RenderUsage.objects.create(user=alice, project_id=3, run_number=1, plan=plans["pro"])
    assert "Creator" in staff_client.get("/admin/payments_app/plan/").content.decode()
    found = staff_client.get("/admin/payments_app/membership/?q=cus_Alice&status=active")
    assert "alice" in found.content.decode()
    assert staff_client.get("/admin/payments_app/renderusage/").status_code == 200
    assert staff_client.get("/admin/djstripe/customer/").status_code == 200


def test_it_grants_creator_for_30_days(staff_client, alice, plans):
    membership = Membership.objects.create(user=alice, plan=plans["free"], source="staff")
    response = staff_client.post(
        "/admin/payments_app/membership/",
        {
            "action": "grant_creator",
            "_selected_action": [membership.pk],
        },
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.plan.slug, membership.source) == ("creator", "staff")
    assert membership.current_period_end - timezone.now() > timedelta(days=29)
    assert services.plan_for(alice).slug == "creator"


def test_adding_a_membership_grants_the_plan(staff_client, alice, plans):
    response = staff_client.post(
        "/admin/payments_app/membership/add/",
        {
            "user": alice.pk,
            "plan": plans["pro"].pk,
            "current_period_end_0": "",
            "current_period_end_1": "",
            "note": "Podcast partner",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=alice)
    assert (membership.source, membership.note, membership.current_period_end) == (
        "staff",
        "Podcast partner",
        None,
    )
    assert services.plan_for(alice).slug == "pro"


def test_usage_is_read_only(staff_client, alice, plans):
    usage = RenderUsage.objects.create(user=alice, project_id=3, run_number=1)
    assert staff_client.get("/admin/payments_app/renderusage/add/").status_code == 403
    page = staff_client.get(f"/admin/payments_app/renderusage/{usage.pk}/change/")
    assert page.status_code == 200
    assert 'type="submit"' not in page.content.decode().split('id="renderusage_form"')[-1]
