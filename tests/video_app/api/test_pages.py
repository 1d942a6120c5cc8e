"""The API token page (/api/token/): a token is shown once, when made; a new one replaces the
old at once; staff see tokens in admin."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.video_app.api.conftest import token_client

pytestmark = pytest.mark.django_db


def test_it_offers_a_token_to_a_creator_without_one(alice_client):
    page = alice_client.get(reverse("api:token")).content.decode()

    assert "Create new token" in page
    assert 'id="revoke-token"' not in page
    assert page.count(reverse("api:docs")) >= 1


def test_it_shows_a_new_token_once(alice_client, alice):
    made = alice_client.post(reverse("api:token")).content.decode()
    again = alice_client.get(reverse("api:token"))

    key = Token.objects.get(user=alice).key
    assert key in made
    assert f"Authorization: Token {key}" in made
    assert key not in again.content.decode()
    assert "You have a token" in again.content.decode()
    assert "no-cache" in again["Cache-Control"]


def test_it_replaces_the_old_token_at_once(alice_client, alice):
    old = token_client(alice)
    assert old.get(reverse("api:project-list")).status_code == 200

    alice_client.post(reverse("api:token"))

    assert old.get(reverse("api:project-list")).status_code == 401
    assert Token.objects.filter(user=alice).count() == 1


def test_it_revokes_the_token(alice_client, alice):
    client = token_client(alice)

    response = alice_client.post(reverse("api:token"), {"revoke": "1"})

    assert response.status_code == 302
    assert not Token.objects.filter(user=alice).exists()
    assert client.get(reverse("api:project-list")).status_code == 401


def test_it_lists_tokens_for_staff_in_admin(admin_client, alice):
    token_client(alice)

    page = admin_client.get(reverse("admin:authtoken_tokenproxy_changelist")).content.decode()

    assert "alice" in page


def test_it_links_the_token_page_from_the_account_menu(alice_client):
    page = alice_client.get(reverse("video_app:dashboard")).content.decode()

    assert reverse("api:token") in page
