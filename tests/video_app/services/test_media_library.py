"""Uploads count against the plan's storage quota, decided under the user's lock: a full plan
refuses with a sentence and keeps no file; two uploads at once cannot both take the last space."""

import io
import threading

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from payments_app.models import Plan
from video_app.models import MediaAsset
from video_app.security.content_validator import ContentValidator
from video_app.services import media_library

MB = 1024 * 1024


def picture_upload(colour="#f1c40f"):
    output = io.BytesIO()
    Image.new("RGB", (320, 200), colour).save(output, format="PNG")
    return ContentValidator().validate(SimpleUploadedFile("beach.png", output.getvalue()))


def fill(user, *, left_bytes: int) -> None:
    """The user's uploads take all of their 1 MB quota but `left_bytes`."""
    Plan.objects.filter(slug="free").update(storage_quota_mb=1)
    media_library.store_upload(user=user, upload=picture_upload())
    MediaAsset.objects.filter(user=user).update(size_bytes=MB - left_bytes)


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_it_refuses_an_upload_the_plan_storage_cannot_hold_and_keeps_no_file(alice):
    fill(alice, left_bytes=10)
    files_before = set(default_storage.listdir(f"media/{alice.pk}")[1])

    with pytest.raises(media_library.UploadRefused) as refused:
        media_library.store_upload(user=alice, upload=picture_upload())

    assert refused.value.message.startswith(
        "This file needs 0.0 MB, but only 0.0 MB of your Free plan's 1.0 MB of storage is left."
    )
    assert MediaAsset.objects.filter(user=alice).count() == 1
    assert set(default_storage.listdir(f"media/{alice.pk}")[1]) == files_before


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("media_root")
def test_it_lets_one_of_two_uploads_at_once_take_the_last_space(alice):
    upload_size = picture_upload().size_bytes
    fill(alice, left_bytes=upload_size + upload_size // 2)  # room for one more, not two
    uploads = [picture_upload("#111111"), picture_upload("#111111")]
    start = threading.Barrier(2)
    outcomes = []

    def store(upload):
        start.wait()
        try:
            media_library.store_upload(user=alice, upload=upload)
            outcomes.append("kept")
        except media_library.UploadRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=store, args=(upload,)) for upload in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["kept", "refused"]
    assert MediaAsset.objects.filter(user=alice).count() == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_it_shows_storage_used_of_allowed_on_the_billing_page(alice_client, alice):
    fill(alice, left_bytes=MB // 2)

    page = alice_client.get("/billing/").content.decode()

    assert "512.0 KB of 1.0 MB of storage used by your uploads" in " ".join(page.split())
