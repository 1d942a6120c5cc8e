"""Work that is costly and decided by its inputs is done once: the seeds' `VideoCacheService`.

Everything goes through Django's cache (Redis in production, files every local process shares in
the embedded default), keyed by a hash of the inputs, so any worker on any machine finds what
another made. Files themselves live in Django storage; the cache only remembers their names, and
a name whose file has gone (deleted with its project, cleaned up) counts as a miss.
"""

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.cache import cache as default_cache
from django.core.files.storage import default_storage

from ..models import content_hash
from . import files

LOCK_S = 600  # how long one builder may hold a key before another may try
WAIT_STEP_S = 0.2
MISSING = object()


class VideoCacheService:
    def __init__(self, cache=None, storage=None):
        self.cache = cache or default_cache
        self.storage = storage or default_storage

    @staticmethod
    def key(namespace: str, *parts) -> str:
        return f"videocache:{namespace}:{content_hash(*parts)}"

    def remember(self, namespace: str, parts: tuple, build: Callable[[], Any], *,
                 timeout: int | None = None, wait_s: float = 30.0) -> Any:  # fmt: skip
        """The cached value for these inputs, built once. While one process builds, the others
        wait for its result (up to `wait_s`) rather than building the same thing again."""
        key = self.key(namespace, *parts)
        value = self.cache.get(key, MISSING)
        if value is not MISSING:
            return value
        lock = f"{key}:lock"
        deadline = time.monotonic() + wait_s
        while not self.cache.add(lock, 1, LOCK_S):
            if time.monotonic() > deadline:
                break  # the other builder is slow or gone: build it ourselves
            time.sleep(WAIT_STEP_S)
            value = self.cache.get(key, MISSING)
            if value is not MISSING:
                return value
        try:
            value = build()
            self.cache.set(key, value, timeout)
            return value
        finally:
            self.cache.delete(lock)

    def stored_file(self, namespace: str, parts: tuple, build: Callable[[Path], None], *,
                    suffix: str) -> str:  # fmt: skip
        """The storage name of a file made once from these inputs: `build(path)` writes it."""
        key = self.key(namespace, *parts)
        name = self.cache.get(key)
        if name and self.storage.exists(name):
            return name
        self.cache.delete(key)

        def make() -> str:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"file{suffix}"
                build(path)
                digest = key.rsplit(":", 1)[1]
                with path.open("rb") as handle:
                    return self.storage.save(f"cache/{namespace}/{digest}{suffix}", handle)

        return self.remember(namespace, parts, make, timeout=None)

    # The seeds' step results: what a pipeline step produced for given inputs, so that a re-run,
    # a duplicate or a variation with the same inputs reuses it instead of doing the work again.
    def step_result(self, owner_id: int, step: str, input_hash: str) -> dict | None:
        result = self.cache.get(self.key(f"step-{step}", owner_id, input_hash))
        if result and result.get("file") and not self.storage.exists(result["file"]):
            return None
        return result

    def cache_step_result(self, owner_id: int, step: str, input_hash: str, result: dict,
                          *, timeout: int | None = 7 * 24 * 3600) -> None:  # fmt: skip
        self.cache.set(self.key(f"step-{step}", owner_id, input_hash), result, timeout)

    def local_copy(self, name: str) -> Path:
        """A local path of a stored file (downloaded once per version when storage is remote)."""
        return files.local_path(files.stored(name))
