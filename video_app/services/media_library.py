"""The user's media library: validated uploads kept with a small thumbnail, and thumbnails for
generated pictures, so storyboard and media pages never ship full-size files to the browser."""

import hashlib
import io
from pathlib import Path

from django.core.files.base import ContentFile
from PIL import Image

from ..ai_services.reframe import sample_frames
from ..models import MediaAsset
from ..security.content_validator import ValidatedUpload
from .files import local_path

THUMBNAIL_SIZE = (480, 480)


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
    asset.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(thumbnail_jpeg(path, asset.kind,
                                                                      asset.duration_s)),
                         save=False)  # fmt: skip


def store_upload(*, user, upload: ValidatedUpload, title: str = "") -> MediaAsset:
    digest = hashlib.sha256()
    for chunk in upload.content.chunks():  # up to 500 MB: never all in memory
        digest.update(chunk)
    upload.content.seek(0)
    asset = MediaAsset(
        user=user, kind=upload.kind, source=MediaAsset.Source.UPLOAD, provider="upload",
        title=title[:200], width=upload.width or 0, height=upload.height or 0,
        duration_s=upload.duration_s, size_bytes=upload.size_bytes,
        file_hash=digest.hexdigest(),
    )  # fmt: skip
    asset.file.save(f"upload.{upload.extension}", upload.content, save=False)
    add_thumbnail(asset, local_path(asset.file))
    asset.save()
    return asset
