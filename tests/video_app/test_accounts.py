"""Sign-up, log-in, log-out, password change and reset, as a visitor goes through them."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-passphrase-42"


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_it_signs_up_a_new_user_and_logs_them_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "carol",
            "email": "carol@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        follow=True,
    )

    assert response.redirect_chain == [("/dashboard/", 302)]
    assert response.context["user"].username == "carol"
    assert messages_of(response) == ["Welcome, carol! Your account is ready."]
    assert get_user_model().objects.get(username="carol").email == "carol@example.com"


def test_it_refuses_an_email_that_already_has_an_account(client, alice):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "alice2",
            "email": "ALICE@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 200
    assert "An account with this email already exists" in response.content.decode()
    assert not get_user_model().objects.filter(username="alice2").exists()


def test_it_refuses_a_weak_password_with_a_reason(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "dave", "email": "dave@example.com", "password1": "123", "password2": "123"},
    )

    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
    assert not get_user_model().objects.filter(username="dave").exists()


def test_it_sends_a_signed_in_user_from_signup_to_the_dashboard(alice_client):
    response = alice_client.get("/accounts/signup/")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"


@pytest.mark.parametrize("login", ["alice", "alice@example.com", "Alice@Example.com"])
def test_it_logs_in_with_username_or_email(client, alice, login):
    response = client.post(
        "/accounts/login/", {"username": login, "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [("/dashboard/", 302)]
    assert response.context["user"] == alice
    assert messages_of(response) == ["Welcome back, alice."]


def test_it_explains_a_failed_login(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not response.context["user"].is_authenticated


def test_it_returns_to_the_page_asked_for_after_login(client, alice):
    response = client.post(
        "/accounts/login/?next=/dashboard/",
        {"username": "alice", "password": PASSWORD, "next": "/dashboard/"},
    )

    assert response["Location"] == "/dashboard/"


def test_it_logs_out_on_post_only(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 405

    response = alice_client.post("/accounts/logout/", follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert not response.context["user"].is_authenticated
    assert messages_of(response) == ["You have been logged out."]


def test_it_redirects_anonymous_visitors_from_the_dashboard_to_login(client):
    response = client.get("/dashboard/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/dashboard/"


def test_it_changes_the_password(client, alice):
    client.force_login(alice)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == "/accounts/password_change/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_it_resets_a_forgotten_password_by_email(client, alice):
    response = client.post("/accounts/password_reset/", {"email": "alice@example.com"})
    assert response["Location"] == "/accounts/password_reset/done/"

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["alice@example.com"]
    assert email.subject == "Reset your AI Video Creator password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", email.body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert client.get(link, follow=True).context["validlink"] is False


def test_it_sends_no_reset_email_for_an_unknown_address(client, alice):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})

    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []
