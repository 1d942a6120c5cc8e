"""The API reads JSON without server errors: nesting too deep for Python is a 400 sentence."""

import pytest

from tests.video_app.api.conftest import token_client

pytestmark = pytest.mark.django_db


def test_it_answers_json_400_to_json_nested_2000_deep(alice):
    response = token_client(alice).post(
        "/api/v1/projects/", "[" * 2000 + "]" * 2000, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "This JSON is nested too deeply to be read."}
