"""Work that is costly and decided by its inputs is done once: the seeds' `VideoCacheService`.

Everything goes through Django's cache (Redis, in both run modes), keyed by a hash of the inputs, so
any worker on any machine finds what another made. Files themselves live in Django storage; the
cache only remembers their names, and a name whose file has gone (deleted with its project, cleaned
up) counts as a miss.

Used for: pipeline step results (`make_scene_voice`, `make_scene_media` reuse a voice or a drawn
picture made for another project of the same user), voice samples, and small hover previews of
rendered videos.
"""

import contextlib
import logging
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.cache import caches
from django.core.files.storage import default_storage

from ..engine.export import preview_clip
from ..models import RenderedVideo, content_hash
from . import files

logger = logging.getLogger(__name__)

LOCK_S = 600  # how long one builder may hold a key before another may try
WAIT_STEP_S = 0.2
MISSING = object()
PREVIEW_WIDTH_PX = 320


class VideoCacheService:
    def __init__(self, cache=None, storage=None):
        # The backend itself, not django.core.cache.cache (a proxy): _claim tells backends apart.
        self.cache = cache or caches["default"]
        self.storage = storage or default_storage

    @staticmethod
    def key(namespace: str, *parts) -> str:
        return f"videocache:{namespace}:{content_hash(*parts)}"

    def remember(
        self,
        namespace: str,
        parts: tuple,
        build: Callable[[], Any],
        *,
        timeout: int | None = None,
        wait_s: float = 30.0,
    ) -> Any:
        """The cached value for these inputs, built once. While one process builds, the others
        wait for its result (up to `wait_s`) rather than building the same thing again."""
        key = self.key(namespace, *parts)
        value = self.cache.get(key, MISSING)
        if value is not MISSING:
            return value
        deadline = time.monotonic() + wait_s
        with self._building(key) as mine:
            while not mine():
                if time.monotonic() > deadline:
                    break  # the other builder is slow or gone: build it ourselves
                time.sleep(WAIT_STEP_S)
                value = self.cache.get(key, MISSING)
                if value is not MISSING:
                    return value
            value = self.cache.get(key, MISSING)  # the last builder may have just finished
            if value is not MISSING:
                return value
            value = build()
            self.cache.set(key, value, timeout)
            return value

    @contextlib.contextmanager
    def _building(self, key: str) -> Iterator[Callable[[], bool]]:
        """A claim on building `key`: yields `try_claim()`, true once this caller holds it; the
        claim is released on leaving, and only if it was this caller's."""
        token = uuid.uuid4().hex
        held = False

        def try_claim() -> bool:
            nonlocal held
            held = held or self._claim(key, token)
            return held

        try:
            yield try_claim
        finally:
            if held:
                self._release(key, token)

    def _claim(self, key: str, token: str) -> bool:
        return self.cache.add(f"{key}:lock", token, LOCK_S)  # atomic: Redis SET NX, locmem

    def _release(self, key: str, token: str) -> None:
        if self.cache.get(f"{key}:lock") == token:
            self.cache.delete(f"{key}:lock")

    def stored_file(
        self, namespace: str, parts: tuple, build: Callable[[Path], None], *, suffix: str
    ) -> str:
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
    # Best effort: a cache that fails is a miss, never a failed step.
    def step_result(self, owner_id: int, step: str, input_hash: str) -> dict | None:
        try:
            result = self.cache.get(self.key(f"step-{step}", owner_id, input_hash))
            if result and result.get("file") and not self.storage.exists(result["file"]):
                return None
        except Exception:
            logger.warning("Step cache unavailable; doing the work", exc_info=True)
            return None
        return result

    def cache_step_result(
        self,
        owner_id: int,
        step: str,
        input_hash: str,
        result: dict,
        *,
        timeout: int | None = 7 * 24 * 3600,
    ) -> None:
        try:
            self.cache.set(self.key(f"step-{step}", owner_id, input_hash), result, timeout)
        except Exception:
            logger.warning("Step result not cached", exc_info=True)

    def local_copy(self, name: str) -> Path:
        """A local path of a stored file (downloaded once per version when storage is remote)."""
        return files.local_path(files.stored(name))

    # The seeds' `get_video_preview`: a few muted seconds of a rendered video, small enough to
    # play on hover in a list. The thumbnail already is the poster; this is the motion.
    def video_preview(self, video: RenderedVideo, width_px: int = PREVIEW_WIDTH_PX) -> str:
        parts = self._preview_parts(video, width_px)

        def build(path: Path) -> None:
            preview_clip(
                files.local_path(video.file), path, width_px=width_px, duration_s=video.duration_s
            )

        name = self.stored_file("video-preview", parts, build, suffix=".mp4")
        # One preview per video and size: the one of an earlier render of it goes.
        latest_key = self.key("video-preview-latest", video.pk, width_px)
        earlier = self.cache.get(latest_key)
        if earlier and earlier != name:
            self.storage.delete(earlier)
        self.cache.set(latest_key, name, None)
        return name

    def forget_video_preview(self, video: RenderedVideo, width_px: int = PREVIEW_WIDTH_PX) -> None:
        """The video is gone: so is its preview (called once its row is deleted). Best effort:
        a cache that fails leaves a stray preview, never a failed deletion."""
        latest_key = self.key("video-preview-latest", video.pk, width_px)
        try:
            if name := self.cache.get(latest_key):
                files.delete_after_commit(self.storage, name)
            self.cache.delete_many(
                [latest_key, self.key("video-preview", *self._preview_parts(video, width_px))]
            )
        except Exception:
            logger.warning("Preview of video %s not forgotten", video.pk, exc_info=True)

    @staticmethod
    def _preview_parts(video: RenderedVideo, width_px: int) -> tuple:
        return (video.file.name, video.input_hash, width_px)
