"""The user's media library: validated uploads kept with a small thumbnail, and thumbnails for
generated pictures, so storyboard and media pages never ship full-size files to the browser.
Uploads count against the plan's storage quota (payments_app.services.storage_refusal)."""

import hashlib
import io
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from PIL import Image

from payments_app import services as quotas

from ..engine.export.reframe import sample_frames
from ..models import MediaAsset
from ..security.content_validator import ValidatedUpload
from .files import local_path

THUMBNAIL_SIZE = (480, 480)


class UploadRefused(Exception):
    """The upload was valid but can't be kept (the plan's storage is full); `message` says so."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def storage_used_bytes(user) -> int:
    """What the user's uploads take. Library rows picked into scenes share an upload's file, so
    only the uploads themselves count."""
    uploads = MediaAsset.objects.filter(user=user, source=MediaAsset.Source.UPLOAD)
    return uploads.aggregate(total=Sum("size_bytes"))["total"] or 0


def _refuse_if_full(user, size_bytes: int) -> None:
    refusal = quotas.storage_refusal(
        user, used_bytes=storage_used_bytes(user), adding_bytes=size_bytes
    )
    if refusal is not None:
        raise UploadRefused(refusal.message)


def thumbnail_jpeg(path: Path, kind: str, duration_s: float | None = None) -> bytes:
    if kind == MediaAsset.Kind.VIDEO:
        [(_, picture)] = sample_frames(path, [min(1.0, (duration_s or 0) / 2)])
        image = Image.fromarray(picture)
    else:
        image = Image.open(path)
        image.draft("RGB", THUMBNAIL_SIZE)  # JPEG decodes at a fraction of its size: fast
    image = image.convert("RGB")
    image.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()


def add_thumbnail(asset: MediaAsset, path: Path) -> None:
    stem = Path(asset.file.name).stem or "media"
    asset.thumbnail.save(
        f"{stem}-thumb.jpg",
        ContentFile(thumbnail_jpeg(path, asset.kind, asset.duration_s)),
        save=False,
    )


def store_upload(*, user, upload: ValidatedUpload, title: str = "") -> MediaAsset:
    """Keep a validated upload, or UploadRefused when the plan's storage can't hold it."""
    _refuse_if_full(user, upload.size_bytes)  # early, before up to 500 MB is copied
    digest = hashlib.sha256()
    for chunk in upload.content.chunks():  # up to 500 MB: never all in memory
        digest.update(chunk)
    upload.content.seek(0)
    asset = MediaAsset(
        user=user,
        kind=upload.kind,
        source=MediaAsset.Source.UPLOAD,
        provider="upload",
        title=title[:200],
        width=upload.width or 0,
        height=upload.height or 0,
        duration_s=upload.duration_s,
        size_bytes=upload.size_bytes,
        file_hash=digest.hexdigest(),
    )
    asset.file.save(f"upload.{upload.extension}", upload.content, save=False)
    try:
        add_thumbnail(asset, local_path(asset.file))
        # Decided again where it counts: under the user's lock, in the transaction that adds
        # the row, so two uploads at once can't both take the last of the space.
        with transaction.atomic():
            # The lock takes a User, not the lazy request.user.
            quotas.plan_decisions_lock(get_user_model().objects.get(pk=user.pk))
            _refuse_if_full(user, upload.size_bytes)
            asset.save()
    except BaseException:
        asset.file.delete(save=False)
        if asset.thumbnail:
            asset.thumbnail.delete(save=False)
        raise
    return asset
