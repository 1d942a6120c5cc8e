"""Files between Django storage and the engine, which works on local paths.

Local disk (the embedded default) hands the engine the stored file itself; S3 (production) is
copied into the worker's cache folder once. Outputs are written locally, then saved to storage.
Deleting a row deletes its files after the transaction commits, so a rollback never loses one.
"""

import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models.fields.files import FieldFile


def local_path(field_file: FieldFile) -> Path:
    """A path the engine can read: the file itself on local disk, else a cached download."""
    try:
        return Path(field_file.path)
    except NotImplementedError:  # remote storage (S3) has no local path
        pass
    # Opening asks S3 for the object's ETag only. A deleted file's name can be given to a new
    # file, so copies are cached per ETag; the bytes go straight to disk (S3File would hold a
    # whole video in memory), under a name of this process's own (workers share the cache).
    with field_file.storage.open(field_file.name, "rb") as source:
        cached = Path(settings.RENDER_CACHE_DIR) / "storage" / source.obj.e_tag.strip('"')
        cached /= field_file.name
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_name(f"{cached.name}.{uuid.uuid4().hex}.part")
            with partial.open("wb") as target:
                source.obj.download_fileobj(target)
            partial.replace(cached)
    return cached


def stored(name: str) -> FieldFile:
    """A stored file known only by its name (e.g. a master), as a FieldFile of default storage."""
    from ..models import RenderedVideo  # models import this module's neighbours

    return FieldFile(None, RenderedVideo._meta.get_field("file"), name)


def store(field_file: FieldFile, path: Path, name: str) -> None:
    """Save a local file into a file field (the row is saved by the caller)."""
    with path.open("rb") as source:
        field_file.save(name, File(source), save=False)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def delete_after_commit(storage, *names: str) -> None:
    """Remove stored files once the deletion that orphaned them is committed."""
    names = tuple(name for name in names if name)
    if names:
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
