"""The demo account that `make run` creates and prints."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from video_app.management.commands.ensure_demo_user import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_it_creates_a_demo_account_that_can_log_in(settings, capsys):
    settings.DEBUG = True

    call_command("ensure_demo_user")

    assert f"username 'demo', password '{DEMO_PASSWORD}'" in capsys.readouterr().out
    assert authenticate(username="demo", password=DEMO_PASSWORD) is not None


def test_it_keeps_one_demo_account_and_restores_its_password(settings):
    settings.DEBUG = True
    call_command("ensure_demo_user")
    demo = get_user_model().objects.get(username="demo")
    demo.set_password("changed-by-someone")
    demo.save()

    call_command("ensure_demo_user")

    assert get_user_model().objects.filter(username="demo").count() == 1
    assert authenticate(username="demo", password=DEMO_PASSWORD) is not None


def test_it_refuses_to_create_the_demo_account_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="development only"):
        call_command("ensure_demo_user")

    assert not get_user_model().objects.filter(username="demo").exists()
