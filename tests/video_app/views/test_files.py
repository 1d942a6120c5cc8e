"""Stored files by name: a folder is not a file."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def test_it_answers_404_for_a_folder_under_media(alice_client, alice, settings):
    (settings.MEDIA_ROOT / "projects" / str(alice.pk) / "1").mkdir(parents=True)

    response = alice_client.get(f"/media/projects/{alice.pk}/1")

    assert response.status_code == 404
