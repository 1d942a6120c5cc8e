"""Keywords: ranked phrases a picture search can use, for every scene of a script
(script_processing) and for a script writer's brief (text_generation).

YAKE (statistical, no model; it ships stopword lists for 34 languages) scores the phrases of
all the texts at once: one scene is too little text for its statistics, and a pass per scene
costs about 10 ms, too slow for a long script. Each text then ranks the phrases it contains,
discounted by how many texts share them (so the scene about Vienna puts "Vienna" before the
"coffee" every scene mentions). Chinese and Japanese, written without spaces, are cut into
word-like runs instead.
"""

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources

import regex
import yake

MAX_KEYWORDS = 8

# How a picture is filmed rather than what it shows, in the languages of the script writer's
# phrase tables (script_phrases) and of common shot lists: left out of a direction's keywords.
FILMING_WORDS = frozenset(
    word
    for words in (
        "shot shots close up closeup wide medium detail opening closing angle pan zoom tilt "
        "dolly tracking b roll footage cut fade slow motion on screen text overlay card "
        "timelapse time lapse light lighting lit well colours colors colour color pace warm "
        "soft bold bright playful golden hour uplifting clean natural dynamic",
        "plano primer general detalle medio apertura cierre pantalla texto luz cálida cálido "
        "limpio iluminado colores intensos ángulo dinámico suave ritmo lento divertido vivos "
        "dorada inspirador",
        "plan gros large détail moyen ouverture clôture écran texte lumière chaude naturelle "
        "épuré éclairé couleurs vives dynamique douce rythme ludique éclatantes dorée inspirant",
        "einstellung eröffnungseinstellung schlusseinstellung nahaufnahme totale detailaufnahme "
        "halbnahe bild warmes natürliches licht klar hell ausgeleuchtet kräftige farben "
        "dynamischer winkel weiches ruhiges tempo verspielt bunte goldenes inspirierend",
        "abertura aberto detalhe médio final tela quente natural cores fortes dinâmico vivas "
        "dourada",
    )
    for word in words.split()
)

# \u3002\uff01\uff1f are the CJK full stop, exclamation and question marks; \u061f is Arabic's.
_SENTENCE_GAP = regex.compile(r"[.!?;:\u061f\u3002\uff01\uff1f]")
# After these a new phrase starts ("In Boston, coffee ..."): sentence ends and commas.
_PHRASE_GAP = regex.compile(r"[.!?;:,\u061f\u060c\u3002\uff01\uff1f\uff0c\u3001]")
# A word, and what is not spoken or searched for (emoji, symbols): shared with script_processing.
WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{M}\p{N}'\u2019\-]*")
SYMBOLS = regex.compile(
    r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{So}\p{Sk}\p{Co}\p{Cn}\ufe0f\u200d]"
)
_URL = regex.compile(r"https?://\S+|www\.\S+")
_DIRECTION = regex.compile(r"\[[^\[\]]*\]")
_UNSPACED_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u30fc]")
_HAN_RUN = regex.compile(r"\p{Han}+")
_JAPANESE_RUN = regex.compile(r"[\p{Han}\p{Katakana}\u30fc]+")
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}]")
# Particles, pronouns and prepositions that rarely sit inside a Chinese noun. YAKE's Chinese
# list is broader and would cut names apart (its 比 is inside 埃塞俄比亚, Ethiopia).
_CHINESE_FUNCTION_CHARS = regex.compile(
    "[的了着过吗呢吧啊呀把被是在和与及或而也都就又很更最这那之其我你他她它们为于从向对给让将并但因所等些么不没有]+"
)
# YAKE splits sentences with segtok: show it the terminators segtok knows.
_TO_ASCII_PUNCTUATION = str.maketrans({"\u3002": ". ", "\uff01": "! ", "\uff1f": "? ",
                                       "\u061f": "?", "\u060c": ",", "\u061b": ";",
                                       "\uff0c": ", ", "\u3001": ", "})  # fmt: skip
_ALPHABETS = {
    "ar": regex.compile(r"\p{Arabic}"),
    "ru": regex.compile(r"\p{Cyrillic}"),
    "el": regex.compile(r"\p{Greek}"),
    "hi": regex.compile(r"\p{Devanagari}"),
}
# Stopword files YAKE ships under another name than the language code.
_YAKE_LIST_NAMES = {"cs": "cz"}


@dataclass(frozen=True)
class _Phrase:
    key: str  # lower case, as YAKE names it
    surface: str  # as first written in the text
    position: int
    noun_like: bool
    count: int = 1


def extract_keywords(text: str, language: str, *, limit: int = MAX_KEYWORDS) -> tuple[str, ...]:
    """Ranked key phrases of `text`, best first; the same text always gives the same list."""
    return keywords_for_scenes([("", text)], language, limit=limit)[0]


def keywords_for_scenes(
    scenes: Sequence[tuple[str, str]], language: str, *, limit: int = MAX_KEYWORDS
) -> list[tuple[str, ...]]:
    """Keywords per scene, given as (what to show, what is said), scored across all scenes.

    What the writer asked to show ranks first, without the words on how to film it
    ("close-up", "warm light"), which find no pictures.
    """
    language = base_language(language)
    texts = [_cleaned(f"{shown}. {said}" if shown else said) for shown, said in scenes]
    spaced = [_UNSPACED_CJK.sub(" ", text) for text in texts]
    document = "\n".join(text if _SENTENCE_GAP.search(text[-1:]) else f"{text}." for text in spaced)
    stopwords = _stopwords_for_text(language, document)
    scores = _yake_scores(document, language, stopwords)
    found = [_phrases(text, stopwords) for text in spaced]
    shared = Counter(key for phrases in found for key in phrases if key in scores)
    written = {phrase.surface for phrases in found for phrase in phrases.values()}

    keywords = []
    for (shown, said), text, spaced_text, phrases in zip(scenes, texts, spaced, found, strict=True):
        shown_keys = _phrases(_cleaned(shown), stopwords).keys() if shown else set()
        said_keys = _phrases(_cleaned(said), stopwords).keys()
        ranked = sorted(
            # A pair of words not where a noun goes is mostly a noun and its verb, "panels turn".
            (p for p in phrases.values() if p.key in scores and (p.noun_like or " " not in p.key)),
            key=lambda p: (p.key not in shown_keys, _rank(p, scores, shared), p.position),
        )
        spaced_keywords = [
            _display_form(phrase.surface, written)
            for phrase in _whole_phrases(ranked, phrases)
            if phrase.key in said_keys
            or not set(regex.split(r"[\s\-]+", phrase.key)) & FILMING_WORDS
        ]
        cjk_keywords = _cjk_keywords(text) if _UNSPACED_CJK.search(text) else []
        # Mixed text ranks first the phrases of the script it is mostly written in.
        cjk_first = len(_UNSPACED_CJK.findall(text)) >= 2 * len(WORD.findall(spaced_text))
        ordered = cjk_keywords + spaced_keywords if cjk_first else spaced_keywords + cjk_keywords
        keywords.append(_distinct(ordered, limit))
    return keywords


def _rank(phrase: _Phrase, scores: dict[str, float], shared: Counter) -> float:
    """YAKE's score (lower is better), discounted by the square of the number of texts that
    share the phrase."""
    return scores[phrase.key] * shared[phrase.key] ** 2


def looks_like_noun(phrase: str, text: str, language: str) -> bool:
    """Whether `text` uses `phrase` where a noun goes: first in a sentence, or after an
    article, a preposition or a number ("into electricity", "the grid", "eight years").

    YAKE also ranks pairs like "panels turn" that straddle a subject and its verb; with no
    part-of-speech tagger offline, the word before a phrase is the cue.
    """
    stopwords = _stopwords_for_text(base_language(language), text)
    found = _phrases(_cleaned(text), stopwords).get(" ".join(phrase.lower().split()))
    return bool(found and found.noun_like)


def base_language(language: str) -> str:
    """ "pt-BR" -> "pt": tables here are per language, not per region."""
    return regex.split(r"[-_]", language.strip().lower())[0] or "en"


@functools.cache
def stopwords_for(language: str) -> frozenset[str]:
    """The stopwords YAKE ships for `language` (case-folded); empty for a language it lacks."""
    name = _YAKE_LIST_NAMES.get(language, language)
    path = resources.files("yake") / "core" / "StopwordsList" / f"stopwords_{name}.txt"
    if not path.is_file():
        return frozenset()
    raw = path.read_bytes()
    try:
        words = raw.decode("utf-8")
    except UnicodeDecodeError:  # two of YAKE's lists are Latin-1
        words = raw.decode("latin-1")
    stopwords = {word.strip().casefold() for word in words.splitlines() if word.strip()}
    if language == "ar":
        stopwords |= _arabic_spellings(stopwords)
    return frozenset(stopwords)


def _arabic_spellings(words: set[str]) -> set[str]:
    """YAKE's Arabic list writes alif without hamza ("الى"); scripts usually write "إلى"."""
    variants = set()
    for word in words:
        if word.startswith("\u0627"):
            variants |= {hamza + word[1:] for hamza in ("\u0623", "\u0625", "\u0622")}
        if word.endswith("\u0649"):
            variants.add(word[:-1] + "\u064a")
        if word.endswith("\u064a"):
            variants.add(word[:-1] + "\u0649")
    return variants


def _cleaned(text: str) -> str:
    text = _URL.sub(" ", SYMBOLS.sub(" ", _DIRECTION.sub(" ", text)))
    return " ".join(text.replace("#", " ").replace("@", " ").split())


def _yake_scores(document: str, language: str, stopwords: frozenset[str]) -> dict[str, float]:
    """Every phrase of one or two words that YAKE finds, lower case -> score (lower is better)."""
    if not WORD.search(document):
        return {}
    # dedup_lim=1 returns every candidate: texts rank them, and _distinct removes overlaps.
    extractor = yake.KeywordExtractor(
        lan=language, n=2, top=1_000_000, dedup_lim=1.0, stopwords=stopwords
    )
    return dict(extractor.extract_keywords(document.translate(_TO_ASCII_PUNCTUATION)))


def _phrases(text: str, stopwords: frozenset[str]) -> dict[str, _Phrase]:
    """The words and pairs of adjacent words of `text`, first appearance first."""
    tokens = list(WORD.finditer(text))
    phrases: dict[str, _Phrase] = {}
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else None
        gap = text[previous.end() : token.start()] if previous else ""
        noun_like = (
            previous is None
            or bool(_PHRASE_GAP.search(gap))
            or previous[0].casefold() in stopwords
            or previous[0].isdigit()
        )
        surfaces = [token[0]]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following and text[token.end() : following.start()].isspace():
            surfaces.append(f"{token[0]} {following[0]}")
        for surface in surfaces:
            key = surface.lower()
            if key in phrases:
                phrases[key] = replace(phrases[key], count=phrases[key].count + 1)
            else:
                phrases[key] = _Phrase(key, surface, len(phrases), noun_like)
    return phrases


def _whole_phrases(ranked: list[_Phrase], phrases: dict[str, _Phrase]) -> list[_Phrase]:
    """A word that only ever appears inside one pair of words stands for that pair: "Rooftop"
    of "Rooftop systems" becomes "Rooftop systems"."""
    pairs: dict[str, list[_Phrase]] = {}
    for phrase in ranked:
        if " " in phrase.key:
            for word in phrase.key.split():
                pairs.setdefault(word, []).append(phrase)
    whole = []
    for phrase in ranked:
        containing = [pair for pair in pairs.get(phrase.key, []) if pair.count == phrase.count]
        whole.append(containing[0] if len(containing) == 1 else phrase)
    return whole


def _display_form(surface: str, written: set[str]) -> str:
    # "Solar panels" at a sentence start is "solar panels" when the script also has it so.
    lowered = surface[:1].lower() + surface[1:]
    return lowered if lowered in written else surface


def _stopwords_for_text(language: str, text: str) -> frozenset[str]:
    # A script in another alphabet than its language setting says (Arabic lines in an English
    # project) still loses that alphabet's stopwords.
    return _combined_stopwords(language, _language_of_alphabet(text))


@functools.cache
def _combined_stopwords(*languages: str) -> frozenset[str]:
    return frozenset().union(*(stopwords_for(language) for language in languages))


def _language_of_alphabet(text: str) -> str:
    for language, alphabet in _ALPHABETS.items():
        if alphabet.search(text):
            return language
    return ""


def _cjk_keywords(text: str) -> list[str]:
    """Word-like runs of Chinese or Japanese text: the most frequent first, then in order.

    Japanese content words are kanji or katakana runs (hiragana carries the grammar). Chinese
    runs are cut at function characters, the way RAKE cuts at stopwords. There is no
    dictionary: a long run stays whole and ranks after the word-sized ones.
    """
    if _KANA.search(text):
        stop = stopwords_for("ja")
        candidates = [run for run in _JAPANESE_RUN.findall(text) if run not in stop]
    else:
        stop = stopwords_for("zh")
        candidates = [
            part
            for run in _HAN_RUN.findall(text)
            for part in _CHINESE_FUNCTION_CHARS.split(run)
            if len(part) >= 2 and part not in stop
        ]
    first_seen = {candidate: i for i, candidate in reversed(list(enumerate(candidates)))}
    counts = Counter(candidates)
    return sorted(counts, key=lambda c: (-counts[c], len(c) > 6, first_seen[c]))


def _distinct(keywords: list[str], limit: int) -> tuple[str, ...]:
    """Keywords without repeats. A word already used by a better keyword rules out another
    phrase with it: "solar panels" leaves no room for "panels" or "panels turn"."""
    chosen: list[str] = []
    covered: set[str] = set()
    for keyword in keywords:
        words = {_singular(word) for word in keyword.casefold().split()}
        if words & covered:
            continue
        chosen.append(keyword)
        covered |= words
        if len(chosen) == limit:
            break
    return tuple(chosen)


def _singular(word: str) -> str:
    """ "batteries" -> "battery", "boxes" -> "box", "panels" -> "panel": enough to tell that
    two keywords name the same thing in English and most Latin-script languages."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
