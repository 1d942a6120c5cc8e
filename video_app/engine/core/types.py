"""Plain data passed between the engine's capabilities. Immutable, so a value can be hashed into
the cache keys that let unchanged scenes be reused."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class FrameSize:
    width: int
    height: int

    @property
    def aspect(self) -> float:
        return self.width / self.height

    @property
    def is_vertical(self) -> bool:
        return self.height > self.width


@dataclass(frozen=True)
class WordTiming:
    """One spoken word, in seconds from the start of its own audio file."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Speech:
    """A voiceover: a WAV file and when each word is spoken in it."""

    path: Path
    duration_s: float
    words: tuple[WordTiming, ...]
    provider: str
    voice_id: str
    # "word" when timings come from the synthesiser's alignment, "phrase" when only whole
    # phrases are timed and words are spread over them by length.
    timing_precision: Literal["word", "phrase"] = "word"
    fallback_reason: str = ""  # why another voice than the one asked for reads it ("": none)


@dataclass(frozen=True)
class MediaItem:
    """A picture or clip for a scene, with where it came from and under which terms."""

    path: Path
    kind: Literal["image", "video"]
    width: int
    height: int
    source: str  # provider name: "procedural", "library", "pexels", ...
    query: str = ""  # the search terms or prompt that found or made it
    licence: str = ""
    attribution: str = ""
    duration_s: float | None = None  # clips only
    extra: dict = field(default_factory=dict, compare=False, hash=False)
