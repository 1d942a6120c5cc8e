from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from payments_app import services
from payments_app.models import Membership, RenderUsage
from tests.video_app.engine.recordings import replay

from .conftest import PRICES


def sent_form(httpserver, path):
    """The form-encoded body the SDK sent to `path` (Stripe's API takes forms, answers JSON)."""
    for request, _ in httpserver.log:
        if request.path == path:
            return {
                key: values[0] for key, values in parse_qs(request.get_data(as_text=True)).items()
            }
    raise AssertionError(f"nothing was sent to {path}")


def test_it_shows_plans_and_says_billing_is_off_without_keys(client, plans):
    response = client.get("/pricing/")
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("Free", "Creator", "Pro"):
        assert name in page
    assert "40 renders per month" in page
    assert "Videos up to 3 min" in page
    assert "Up to 1080p" in page and "Up to 720p" in page
    assert "No watermark" in page and "Watermark on videos" in page
    assert "Billing is not configured" in page
    assert "/billing/checkout/" not in page


def test_it_explains_checkout_is_unavailable_without_keys(alice_client, plans):
    response = alice_client.post("/billing/checkout/creator/", follow=True)
    assert response.redirect_chain[-1][0] == "/pricing/"
    assert "Online payments are not available" in response.content.decode()
    assert services.plan_for(response.wsgi_request.user).slug == "free"


def test_it_refuses_get_on_checkout(alice_client, plans):
    assert alice_client.get("/billing/checkout/creator/").status_code == 405


def test_it_asks_visitors_to_log_in_before_checkout(client, plans):
    response = client.post("/billing/checkout/creator/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_opens_stripe_checkout_for_the_plan(alice_client, alice, plans, stripe_api):
    replay(stripe_api, "stripe/checkout_ok")
    response = alice_client.post("/billing/checkout/creator/")

    assert response.status_code == 303
    assert response["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_a1Alice")
    stripe_api.check_assertions()
    customer = sent_form(stripe_api, "/v1/customers")
    assert customer["email"] == "alice@example.com"
    assert customer["metadata[djstripe_subscriber]"] == str(alice.pk)
    session = sent_form(stripe_api, "/v1/checkout/sessions")
    assert session["mode"] == "subscription"
    assert session["customer"] == "cus_Alice"
    assert session["line_items[0][price]"] == PRICES["creator"]
    assert session["line_items[0][quantity]"] == "1"
    assert session["client_reference_id"] == str(alice.pk)
    assert session["metadata[user_id]"] == str(alice.pk)
    assert session["metadata[plan]"] == "creator"
    assert session["subscription_data[metadata][plan]"] == "creator"
    assert session["success_url"] == (
        "http://testserver/billing/success/?session_id={CHECKOUT_SESSION_ID}"
    )
    assert session["cancel_url"] == "http://testserver/billing/cancel/"
    # The customer is dj-stripe's, linked to Alice: the next checkout reuses it.
    assert alice.djstripe_customers.get().id == "cus_Alice"


def test_it_reuses_the_stripe_customer_on_a_second_checkout(alice_client, plans, stripe_api):
    session = replay(stripe_api, "stripe/checkout_ok")[1]
    alice_client.post("/billing/checkout/creator/")
    stripe_api.clear()
    stripe_api.expect_ordered_request("/v1/checkout/sessions", method="POST").respond_with_json(
        session["response"]["json"]
    )

    response = alice_client.post("/billing/checkout/pro/")

    assert response.status_code == 303
    assert [request.path for request, _ in stripe_api.log] == ["/v1/checkout/sessions"]
    assert sent_form(stripe_api, "/v1/checkout/sessions")["line_items[0][price]"] == PRICES["pro"]


def test_it_explains_a_refusal_from_stripe(alice_client, plans, stripe_api):
    replay(stripe_api, "stripe/checkout_price_missing")
    response = alice_client.post("/billing/checkout/creator/", follow=True)
    assert response.redirect_chain[-1][0] == "/pricing/"
    assert "The payment page could not be opened" in response.content.decode()


def test_it_refuses_to_sell_the_free_plan(alice_client, plans, stripe_api):
    response = alice_client.post("/billing/checkout/free/", follow=True)
    assert "The Free plan can&#x27;t be bought online" in response.content.decode()
    assert stripe_api.log == []


def test_it_404s_an_unknown_plan(alice_client, plans):
    assert alice_client.post("/billing/checkout/platinum/").status_code == 404


def test_it_shows_checkout_outcomes(alice_client, plans):
    assert "Thank you" in alice_client.get("/billing/success/?session_id=cs_x").content.decode()
    assert "No charge was made" in alice_client.get("/billing/cancel/").content.decode()


def test_it_shows_plan_usage_and_renewal(alice_client, alice, plans):
    end = timezone.now() + timedelta(days=12)
    Membership.objects.create(
        user=alice,
        plan=plans["creator"],
        source="stripe",
        current_period_start=timezone.now() - timedelta(days=18),
        current_period_end=end,
        stripe_customer_id="cus_Alice",
    )
    RenderUsage.objects.create(user=alice, project_id=1, run_number=1)
    RenderUsage.objects.create(user=alice, project_id=1, run_number=2)

    page = alice_client.get("/billing/").content.decode()

    assert "Your plan: Creator" in page
    assert "2 of 40 renders used" in page
    assert f"Renews on {end:%-d %B %Y}" in page
    assert "Payment failed" not in page and "did not go through" not in page


def test_it_shows_when_a_cancelled_plan_ends(alice_client, alice, plans):
    end = timezone.now() + timedelta(days=3)
    Membership.objects.create(
        user=alice,
        plan=plans["pro"],
        source="stripe",
        current_period_end=end,
        cancel_at_period_end=True,
    )
    page = alice_client.get("/billing/").content.decode()
    assert f"Ends on {end:%-d %B %Y}" in page
    assert "return to the free plan" in page


def test_it_warns_when_payment_failed(alice_client, alice, plans):
    Membership.objects.create(
        user=alice,
        plan=plans["pro"],
        source="stripe",
        status="past_due",
        current_period_end=timezone.now() + timedelta(days=3),
    )
    page = alice_client.get("/billing/").content.decode()
    assert "Your last payment did not go through" in page
    assert "Your plan: Pro" in page


def test_it_shows_free_after_a_plan_lapsed(alice_client, alice, plans):
    Membership.objects.create(
        user=alice,
        plan=plans["pro"],
        source="stripe",
        current_period_end=timezone.now() - timedelta(days=1),
    )
    page = alice_client.get("/billing/").content.decode()
    assert "Your plan: Free" in page
    assert "0 of 5 renders used" in page


def test_it_requires_login_for_billing(client, db):
    assert client.get("/billing/").status_code == 302


def test_it_opens_the_customer_portal(alice_client, alice, plans, stripe_api):
    Membership.objects.create(
        user=alice, plan=plans["pro"], source="stripe", stripe_customer_id="cus_Alice"
    )
    replay(stripe_api, "stripe/portal_ok")
    page = alice_client.get("/billing/").content.decode()
    assert "Manage subscription" in page

    response = alice_client.post("/billing/portal/")

    assert response.status_code == 303
    assert response["Location"] == "https://billing.stripe.com/p/session/test_YWNjdF8xAlice"
    portal = sent_form(stripe_api, "/v1/billing_portal/sessions")
    assert portal == {"customer": "cus_Alice", "return_url": "http://testserver/billing/"}


@pytest.mark.parametrize("keys", [False, True])
def test_it_explains_there_is_nothing_to_manage(alice_client, plans, keys, settings):
    if keys:
        settings.STRIPE_TEST_SECRET_KEY = "sk_test_51FakeKeyForTestsOnly0000000000"
    response = alice_client.post("/billing/portal/", follow=True)
    assert response.redirect_chain[-1][0] == "/billing/"
    message = "You have no subscription" if keys else "Online payments are not available"
    assert message in response.content.decode()


def test_it_shows_a_staff_grant(alice_client, alice, plans):
    until = timezone.now() + timedelta(days=30)
    services.grant_plan(user=alice, plan=plans["creator"], until=until)
    page = alice_client.get("/billing/").content.decode()
    assert f"Granted by staff until {until:%-d %B %Y}" in page
    assert "Manage subscription" not in page
