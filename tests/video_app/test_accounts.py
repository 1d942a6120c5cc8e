"""Sign-up, log-in, log-out, password change and reset, as a visitor goes through them."""

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD
from video_app.forms import AccountAdminChangeForm, AccountAdminCreationForm

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


def test_it_sends_the_same_answer_for_a_known_and_an_unknown_reset_address(client, alice):
    known = client.post("/accounts/password_reset/", {"email": "alice@example.com"}, follow=True)
    unknown = client.post("/accounts/password_reset/", {"email": "nobody@example.com"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content


# --- Usernames versus emails (video_app/auth_backends.py, forms.AccountRulesMixin) ----------------


def make_user(username, email):
    return get_user_model().objects.create_user(username, email, PASSWORD)


def test_it_signs_in_a_username_that_looks_like_another_account_s_email(client):
    ann = make_user("ann@corp.com", "ann@home.example")
    make_user("annie", "ANN@corp.com")

    response = client.post("/accounts/login/", {"username": "ann@corp.com", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(ann.pk)


def test_it_signs_in_by_email_only_when_one_account_has_that_email(client):
    make_user("carol", "carol@example.com")
    make_user("carol2", "Carol@Example.com")  # made before emails were unique

    by_email = client.post(
        "/accounts/login/", {"username": "carol@example.com", "password": PASSWORD}
    )
    by_username = client.post("/accounts/login/", {"username": "carol2", "password": PASSWORD})

    assert by_email.status_code == 200
    assert "Please enter a correct username and password" in by_email.content.decode()
    assert by_username.status_code == 302


def signup_data(username, email):
    return {"username": username, "email": email, "password1": PASSWORD, "password2": PASSWORD}


def test_it_refuses_a_username_with_an_at_sign_at_sign_up(client):
    response = client.post("/accounts/signup/", signup_data("dave@example.com", "dave@example.com"))

    assert "A username cannot contain “@”" in response.content.decode()
    assert not get_user_model().objects.filter(email="dave@example.com").exists()


def test_it_refuses_an_email_that_is_another_account_s_username_at_sign_up(client):
    make_user("ann@corp.com", "ann@home.example")

    response = client.post("/accounts/signup/", signup_data("annie", "ANN@corp.com"))

    assert "An account with this email already exists" in response.content.decode()
    assert not get_user_model().objects.filter(username="annie").exists()


def test_it_limits_the_accounts_one_address_makes_in_an_hour(settings):
    settings.SIGNUPS_PER_ADDRESS_PER_HOUR = 2
    # Addresses of their own: counts outlive a test in the production stack's Redis.
    address, another = (f"2001:db8::{uuid.uuid4().hex[:4]}:{n}" for n in (1, 2))
    sign_up = lambda name: Client(REMOTE_ADDR=address).post(  # noqa: E731
        "/accounts/signup/", signup_data(name, f"{name}@example.com")
    )

    made = [sign_up(name).status_code for name in ("kim", "lee")]
    refused = sign_up("max")
    elsewhere = Client(REMOTE_ADDR=another).post(
        "/accounts/signup/", signup_data("ned", "ned@example.com")
    )

    assert made == [302, 302]
    assert refused.status_code == 429
    assert re.search(
        r"Too many accounts were made from your network in the last hour\. Try again in "
        r"(60|59) minutes\.",
        refused.content.decode(),
    )
    assert not get_user_model().objects.filter(username="max").exists()
    assert elsewhere.status_code == 302


def test_it_applies_the_same_rules_in_the_admin_s_user_forms(alice, bob):
    creation = AccountAdminCreationForm(
        {
            "username": "eve@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "usable_password": "true",
        }
    )
    assert creation.errors["username"] == [
        "A username cannot contain “@”: it would read as an email address."
    ]

    change = AccountAdminChangeForm(
        {"username": "bob", "email": "ALICE@example.com", "date_joined": bob.date_joined},
        instance=bob,
    )
    assert change.errors["email"] == [
        "An account with this email already exists. Log in or reset your password."
    ]


def test_it_keeps_an_existing_username_with_an_at_sign_in_the_admin(db):
    ann = make_user("ann@corp.com", "ann@home.example")

    change = AccountAdminChangeForm(
        {"username": "ann@corp.com", "email": "ann@home.example", "date_joined": ann.date_joined},
        instance=ann,
    )

    assert change.is_valid(), change.errors
