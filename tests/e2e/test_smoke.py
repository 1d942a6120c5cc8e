"""A visitor's first minutes, in a real browser against the real server and worker: sign up,
land on the dashboard, receive a live notice over the page's WebSocket, log out."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from video_app.services.notifications import notify_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]


def notify_from_a_thread(**notice) -> None:
    """`notify_user` as a worker calls it, from a thread of its own: async_to_sync refuses the
    test's thread, where Playwright's event loop runs."""

    def notify():
        try:
            notify_user(**notice)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(notify).result()


def publish_until_shown(page, *, user_id: int, text: str):
    """Notices are news: one sent before the page's socket has joined the user's group is lost,
    so publish again (as a worker reporting progress would) until the toast shows."""
    toast = page.get_by_role("status").filter(has_text=text).first
    for _attempt in range(10):
        notify_from_a_thread(user_id=user_id, text=text, level="success", url="/dashboard/")
        try:
            expect(toast).to_be_visible(timeout=1_500)
            return toast
        except AssertionError:
            continue
    raise AssertionError(f"No toast {text!r}: the page's live-notice socket never got it")


def test_it_signs_up_a_visitor_who_then_gets_live_notices_and_logs_out(page, live_server_stack):
    page.goto("/")
    page.get_by_role("link", name="Create a free account").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password*", exact=True).fill(PASSWORD)  # * marks a required field
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()

    expect(page).to_have_url(f"{live_server_stack.url}/dashboard/")
    expect(page.get_by_role("alert")).to_contain_text("Welcome, alice! Your account is ready.")
    expect(page.get_by_role("heading", name="Your projects")).to_be_visible()

    alice = get_user_model().objects.get(username="alice")
    toast = publish_until_shown(page, user_id=alice.pk, text="Your video is ready")
    expect(toast.get_by_role("link", name="Open")).to_have_attribute("href", "/dashboard/")

    page.get_by_role("button", name="alice").click()
    page.get_by_role("button", name="Log out").click()

    expect(page).to_have_url(f"{live_server_stack.url}/")
    expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/dashboard/")
    expect(page).to_have_url(f"{live_server_stack.url}/accounts/login/?next=/dashboard/")
    assert page.console_errors == []
