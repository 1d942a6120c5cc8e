"""Sign-in throttling (video_app/security/login_throttle.py): failures counted per account and
per address in the database, the refusal saying when to try again, and what a success clears."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED = "Too many failed sign-ins. Try again in 15 minutes."
HOME, OFFICE = "203.0.113.5", "198.51.100.7"


def sign_in(client, username, password, address=HOME, **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def fail(client, username, times, address=HOME):
    for _ in range(times):
        response = sign_in(client, username, "wrong password", address)
    return response


def age_failures(minutes):
    """The clock moved on: every recorded failure happened `minutes` earlier."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= timedelta(minutes=minutes)
        attempt.save(update_fields=["attempt_time"])


def test_it_refuses_the_right_password_after_40_wrong_ones_and_says_when_to_retry(client, alice):
    fail(client, "alice", 40)

    response = sign_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60  # since the 10th failure
    assert LOCKED in response.content.decode()
    assert 'name="username"' in response.content.decode()  # the login page, with its form
    assert not response.wsgi_request.user.is_authenticated


def test_it_says_so_at_the_failure_that_reaches_the_limit(client, alice):
    assert fail(client, "alice", 9).status_code == 200

    response = fail(client, "alice", 1)

    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_it_counts_an_account_s_failures_whatever_identifier_is_typed(client, alice):
    for identifier in ["alice", "alice@example.com", "ALICE@example.com"] * 3 + ["alice"]:
        sign_in(client, identifier, "wrong password")

    assert sign_in(client, "alice@example.com", PASSWORD).status_code == 429


def test_it_refuses_a_locked_account_from_every_address_and_leaves_other_accounts_alone(
    client, alice, bob
):
    fail(client, "alice", 10, address=HOME)

    assert sign_in(client, "alice", PASSWORD, address=OFFICE).status_code == 429
    assert sign_in(client, "bob", PASSWORD, address=HOME).status_code == 302


def test_it_refuses_an_address_that_tried_many_accounts_and_leaves_other_addresses_alone(
    client, bob
):
    for number in range(50):
        sign_in(client, f"guess{number}", "wrong password", address=HOME)

    refused = sign_in(client, "bob", PASSWORD, address=HOME)
    assert refused.status_code == 429
    assert LOCKED in refused.content.decode()
    assert sign_in(client, "bob", PASSWORD, address=OFFICE).status_code == 302


def test_it_lets_the_account_in_again_once_the_lockout_has_passed(client, alice):
    fail(client, "alice", 40)
    age_failures(minutes=10)

    assert "Try again in 5 minutes." in sign_in(client, "alice", PASSWORD).content.decode()

    age_failures(minutes=5)
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_it_does_not_extend_the_lockout_for_tries_while_refused(client, alice):
    fail(client, "alice", 10)
    age_failures(minutes=14)
    fail(client, "alice", 5)  # refused, not counted

    assert "Try again in 1 minute." in sign_in(client, "alice", PASSWORD).content.decode()
    age_failures(minutes=1)
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_it_clears_the_account_s_failures_when_it_signs_in(client, alice):
    fail(client, "alice", 9)
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()

    assert fail(client, "alice", 9).status_code == 200
    assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_it_keeps_failures_against_others_when_the_address_signs_in_to_its_own_account(
    client, alice, bob
):
    # Signing in to one's own account between guesses must not reset the count of the guesses.
    fail(client, "bob", 9)
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()

    assert fail(client, "bob", 1).status_code == 429


def test_it_counts_the_connecting_address_not_a_forwarded_for_header_the_client_sent(client, bob):
    for number in range(50):
        sign_in(client, f"guess{number}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")

    assert sign_in(client, "bob", PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HOME}


def test_it_refuses_the_admin_sign_in_of_a_locked_account_with_the_same_sentence(client):
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    fail(client, "root", 10)

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR=OFFICE,
    )

    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "admin/login.html" in [template.name for template in response.templates]
