"""API calls per hour by plan: Free 100, Pro 5000; the next call is a 429 that says when to try
again (Retry-After) and why."""

import uuid

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from payments_app import services as quotas
from payments_app.models import Plan
from tests.burst import burst
from tests.video_app.api.conftest import token_client

pytestmark = pytest.mark.django_db


def calls_until_refused(client, most: int) -> tuple[int, object]:
    """How many calls were answered before one was refused (or `most`), and the last answer."""
    url = reverse("api:project-list")
    for made in range(most):
        response = client.get(url)
        if response.status_code != 200:
            return made, response
    return most, response


def test_it_refuses_the_call_after_the_free_plan_s_hundred_in_an_hour(alice):
    answered, refused = calls_until_refused(token_client(alice), 102)

    assert answered == Plan.objects.get(slug="free").api_requests_per_hour == 100
    assert refused.status_code == 429
    assert 3590 <= int(refused["Retry-After"]) <= 3600
    assert refused.json()["detail"].startswith(
        "Your Free plan allows 100 API requests an hour, and you have made them. Upgrade for more."
    )


def test_it_gives_a_pro_plan_a_higher_rate(alice, bob):
    quotas.grant_plan(user=bob, plan=Plan.objects.get(slug="pro"))
    alice_answered, _ = calls_until_refused(token_client(alice), 102)

    bob_answered, last = calls_until_refused(token_client(bob), 102)

    assert alice_answered == 100
    assert bob_answered == 102 and last.status_code == 200


def test_it_reads_the_rate_from_the_plan_staff_edit(alice):
    Plan.objects.filter(slug="free").update(api_requests_per_hour=3)

    answered, refused = calls_until_refused(token_client(alice), 10)

    assert answered == 3
    assert refused.status_code == 429


def test_it_counts_each_user_apart(alice, bob):
    Plan.objects.filter(slug="free").update(api_requests_per_hour=2)
    calls_until_refused(token_client(alice), 10)

    answered, _ = calls_until_refused(token_client(bob), 2)

    assert answered == 2


@pytest.mark.django_db(transaction=True)
def test_it_answers_exactly_the_plan_s_hundred_of_160_calls_made_at_once(
    alice, subprocess_env, tmp_path
):
    token = Token.objects.create(user=alice)
    prefix = uuid.uuid4().hex  # counts apart from every other run sharing this Redis

    answers = burst(
        env=subprocess_env,
        folder=tmp_path,
        job={
            "kind": "api",
            "token": token.key,
            "path": reverse("api:project-list"),
            "cache_prefix": prefix,
        },
        processes=4,
        calls=160,
    )

    assert answers.count("200") == Plan.objects.get(slug="free").api_requests_per_hour == 100
    assert answers.count("429") == 60
