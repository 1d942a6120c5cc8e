"""A picture for every scene, the pipeline's media step: the user's own uploads matched by keywords
first, otherwise the configured provider's picture, otherwise a designed picture drawn on the
spot; plus title and outro cards.

Providers sit in the table of `base.media_providers` (settings AI_PROVIDERS["media"]), one module
each, imported on first use. "illustrated" (the default) and "procedural" need nothing, and a
drawn card stands in whenever a provider comes back empty, so a video never waits on a missing
picture.
"""

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..core.errors import ProviderFailed
from ..core.types import MediaItem
from .base import GENERATED_LICENCE, MediaProvider, MediaRequest, media_providers
from .designed import ProceduralMediaProvider, render_card
from .library import LibraryItem, LibraryMediaProvider, match_terms

__all__ = [
    "GENERATED_LICENCE",
    "LibraryItem",
    "LibraryMediaProvider",
    "MediaProvider",
    "MediaRequest",
    "ProceduralMediaProvider",
    "find_media",
    "match_terms",
    "media_providers",
    "render_card",
]

logger = logging.getLogger(__name__)


def find_media(
    request: MediaRequest,
    out_dir: Path,
    *,
    library: Sequence[LibraryItem] = (),
    used: set[Path] | None = None,
    fallback: bool = True,
    provider: str | None = None,
) -> MediaItem:
    """The scene's picture: a library match, else the provider's (`provider`, or the configured
    one), else a drawn one.

    `used` is shared across a video's scenes so equally good uploads take turns. When the
    configured provider fails, the drawn picture carries its message in
    `extra["fallback_reason"]` for the storyboard; with `fallback=False` the failure is raised
    instead (ProviderFailed, or ProviderRefused for a bad key or a refused prompt).
    """
    providers: list[MediaProvider] = []
    if library:
        providers.append(LibraryMediaProvider(library, used=used))
    chosen = provider or media_providers.configured_name()
    if chosen not in {"library", ProceduralMediaProvider.name}:
        providers.append(media_providers.get(chosen))
    reason = ""
    for candidate in providers:
        try:
            item = candidate.find(request, out_dir)
        except ProviderFailed as error:
            if not fallback:
                raise
            logger.warning("media provider %s failed: %s (%s)", candidate.name, error, error.detail)
            reason = error.message
            continue
        if item is not None:
            return item
    drawn = ProceduralMediaProvider().find(request, out_dir)
    return replace(drawn, extra={**drawn.extra, "fallback_reason": reason}) if reason else drawn
