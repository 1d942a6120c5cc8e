"""The public pages, the dashboard placeholder, admin access and the health check."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_it_explains_the_product_on_the_home_page(client):
    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Turn a topic into a finished, narrated video." in page
    assert 'href="/accounts/signup/"' in page
    assert 'href="/accounts/login/"' in page


def test_it_offers_the_dashboard_to_a_signed_in_user(alice_client):
    page = alice_client.get("/").content.decode()

    assert 'href="/dashboard/"' in page
    assert 'href="/accounts/signup/"' not in page
    assert 'data-notifications-url="/ws/notifications/"' in page


def test_it_shows_the_dashboard_to_its_user(alice_client):
    response = alice_client.get("/dashboard/")

    assert response.status_code == 200
    assert "No videos yet" in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/"])
def test_it_loads_nothing_from_third_parties(client, url):
    page = client.get(url).content.decode()

    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert [source for source in sources if "//" in source] == []
    assert "/static/vendor/bootstrap/bootstrap.min.css" in sources
    assert "/static/vendor/bootstrap/bootstrap.bundle.min.js" in sources


def test_it_lets_staff_into_admin_under_the_product_name(client, alice):
    alice.is_staff = alice.is_superuser = True
    alice.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(alice)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "AI Video Creator administration" in response.content.decode()


def test_it_keeps_non_staff_out_of_admin(alice_client):
    response = alice_client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_it_answers_the_health_check(client):
    response = client.get("/healthz/")

    assert response.json() == {"status": "ok"}
