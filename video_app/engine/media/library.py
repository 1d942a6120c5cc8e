"""The user's own uploads as a media provider ("library"): each upload matched to the scene's
keywords by its tags and title. Uploads are checked before the library keeps them, by
`video_app/security/content_validator.py`.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..core.types import MediaItem
from .base import MediaRequest


@dataclass(frozen=True)
class LibraryItem:
    path: Path
    kind: Literal["image", "video"]
    title: str
    tags: tuple[str, ...]
    width: int
    height: int
    duration_s: float | None = None
    licence: str = "Uploaded by the user"
    attribution: str = ""


# Words that match everything and so tell nothing about what a picture shows.
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "the",
        "this",
        "that",
        "to",
        "with",
    }
)


def match_terms(text: str) -> set[str]:
    """Words of `text` as the library compares them: case and accents folded, plurals singular."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return {
        _singular(word)
        for word in re.findall(r"\w+", folded)
        if word not in STOP_WORDS and (len(word) > 1 or not word.isascii())
    }


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


class LibraryMediaProvider:
    """The user's uploads, ranked by how well their tags and title cover the scene's keywords.

    Each keyword counts by rank (the first 1, the second 1/2, ...) and by the share of its words
    found: in the tags fully, in the title only at TITLE_WEIGHT, since titles are often file
    names. Among equal scores an item not yet used in this video wins, so scenes about the same
    thing do not all show the same upload. `used` collects what this provider handed out; pass
    one set to every scene of a video.
    """

    name = "library"
    TITLE_WEIGHT = 0.75

    def __init__(
        self,
        items: Sequence[LibraryItem] = (),
        *,
        min_score: float = 0.5,
        used: set[Path] | None = None,
    ):
        self.items = tuple(items)
        self.min_score = min_score
        self.used = used if used is not None else set()
        self._terms = {
            item.path: (match_terms(" ".join(item.tags)), match_terms(item.title))
            for item in self.items
        }

    def score(self, item: LibraryItem, keywords: Sequence[str]) -> float:
        tag_terms, title_terms = self._terms[item.path]
        total = 0.0
        for rank, keyword in enumerate(keywords):
            terms = match_terms(keyword)
            if not terms:
                continue
            found = sum(
                1.0 if term in tag_terms else self.TITLE_WEIGHT if term in title_terms else 0.0
                for term in terms
            )
            total += found / len(terms) / (rank + 1)
        return round(total, 6)  # rounded so equal matches tie exactly

    def find(self, request: MediaRequest, out_dir: Path) -> MediaItem | None:
        scored = [(self.score(item, request.keywords), item) for item in self.items]
        eligible = [(s, item) for s, item in scored if s >= self.min_score and item.path.exists()]
        if not eligible:
            return None
        score, item = min(
            eligible,
            key=lambda pair: (
                -pair[0],
                pair[1].path in self.used,
                pair[1].title.casefold(),
                str(pair[1].path),
            ),
        )
        self.used.add(item.path)
        return MediaItem(
            path=item.path,
            kind=item.kind,
            width=item.width,
            height=item.height,
            source=self.name,
            query=" ".join(request.keywords),
            licence=item.licence,
            attribution=item.attribution,
            duration_s=item.duration_s,
            extra={"title": item.title, "score": score},
        )
