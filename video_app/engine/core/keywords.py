"""Keywords: ranked phrases a picture search can use, for every scene of a script
(the scenes stage) and for a script writer's brief (the script stage).

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
# phrase tables (script.phrases) and of common shot lists: left out of a direction's keywords.
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

# Numbers written as words, in the languages of FILMING_WORDS: no picture shows "Hundred" or
# "DOZENS". Digits are left out by the same rule.
NUMBER_WORDS = frozenset(
    word
    for words in (
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy "
        "eighty ninety hundred hundreds thousand thousands million millions billion billions "
        "trillion dozen dozens half first second third fourth fifth once twice",
        "cero uno una dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce "
        "quince veinte treinta cuarenta cincuenta sesenta setenta ochenta noventa cien ciento "
        "cientos mil miles millón millones docena docenas decenas mitad primero primera segundo "
        "segunda tercero tercera",
        "zéro un une deux trois quatre cinq six sept huit neuf dix onze douze vingt trente "
        "quarante cinquante soixante cent cents mille million millions milliard douzaine "
        "douzaines dizaines moitié premier première",
        "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf zwanzig dreißig "
        "hundert tausend million millionen milliarde dutzend dutzende hälfte",
        "zero um uma dois duas três quatro cinco seis sete oito nove dez vinte trinta cem "
        "cento mil milhão milhões dúzia dúzias dezenas metade",
    )
    for word in words.split()
)

# After these a word is a verb, not a noun: "they STEAL", "was BUILT", "se construyó". English
# and Spanish pronouns, auxiliaries and modals.
_VERB_CUES = frozenset(
    word
    for words in (
        "i you he she it we they i'm you're he's she's it's we're they're i've we've they've "
        "can could will would shall should may might must do does did don't didn't doesn't "
        "won't can't cannot never also just was were is are am be been being that's there's",
        "yo tú él ella ellos ellas nosotros nosotras vosotros usted ustedes se me te nos os le "
        "les ya también nunca ha han he has hemos había habían fue fueron es son era eran está "
        "están estaba estaban puede pueden podía debe deben va van voy vamos",
    )
    for word in words.split()
)
# Common irregular past forms, which no suffix gives away: "BUILT".
_IRREGULAR_PAST = frozenset(
    word
    for words in (
        "built made found taken known done given seen told brought bought thought sold held kept "
        "lost won grew grown became begun began ran came went gone said got gotten gave took wrote "
        "written felt knew saw stole stolen broke broken chose chosen drove driven ate eaten fell "
        "fallen fought hid hidden led meant met paid sent spent stood taught understood wore worn "
        "rose risen flew flown threw thrown",
    )
    for word in words.split()
)
# Words after a pair that show its second word is a verb: "movement RAISES the money".
_OBJECT_CUES = frozenset(
    word
    for words in (
        "the a an this that these those its their his her our my your some",
        "el la los las un una unos unas su sus este esta estos estas",
    )
    for word in words.split()
)
# Adverbs and participles, told by their ending; and the few nouns that end the same way.
_ADVERB_OR_PARTICIPLE = regex.compile(r"(?:..[a-z]ly|...[^e]ed|....mente)$")
_NOT_ADVERBS = frozenset(
    word
    for words in (
        "family assembly monopoly anomaly butterfly dragonfly firefly jelly belly supply",
    )
    for word in words.split()
)

# \u3002\uff01\uff1f are the CJK full stop, exclamation and question marks; \u061f is Arabic's.
_SENTENCE_GAP = regex.compile(r"[.!?;:\u061f\u3002\uff01\uff1f]")
# After these a new phrase starts ("In Boston, coffee ..."): sentence ends and commas.
_PHRASE_GAP = regex.compile(r"[.!?;:,\u061f\u060c\u3002\uff01\uff1f\uff0c\u3001]")
# A word, and what is not spoken or searched for (emoji, symbols): shared with the scenes stage.
WORD = regex.compile(r"[\p{L}\p{N}][\p{L}\p{M}\p{N}'\u2019\-]*")
SYMBOLS = regex.compile(
    r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{So}\p{Sk}\p{Co}\p{Cn}\ufe0f\u200d]"
)
_SHOUTED = regex.compile(r"\b\p{Lu}{5,}\b")
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
_TO_ASCII_PUNCTUATION = str.maketrans(
    {
        "\u3002": ". ",
        "\uff01": "! ",
        "\uff1f": "? ",
        "\u061f": "?",
        "\u060c": ",",
        "\u061b": ";",
        "\uff0c": ", ",
        "\u3001": ", ",
    }
)
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
    # Not a number, verb or adverb anywhere the text uses it ("Hundred", "they STEAL").
    content: bool = True


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
            (
                p
                for p in phrases.values()
                if p.key in scores and p.content and (p.noun_like or " " not in p.key)
            ),
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


def content_words(text: str, language: str) -> set[str]:
    """The words of `text` that may name something to show, lower case: no stopwords,
    numbers, verbs or adverbs as far as the cues above tell ("bees fly" -> {"bees"})."""
    stopwords = _stopwords_for_text(base_language(language), text)
    phrases = _phrases(_cleaned(text), stopwords)
    return {
        key
        for key, phrase in phrases.items()
        if " " not in key and phrase.content and key not in stopwords
    }


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
    # A shouted word ("They STEAL your data") is an ordinary word; YAKE would rank it as a name.
    text = _SHOUTED.sub(lambda word: word[0].lower(), text)
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
    previous_noun_like = False
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else None
        gap = text[previous.end() : token.start()] if previous else ""
        starts_phrase = previous is None or bool(_PHRASE_GAP.search(gap))
        verb_cued = not starts_phrase and _is_verb_cue(previous[0])
        noun_like = (
            starts_phrase
            or (previous[0].casefold() in stopwords and not verb_cued)
            or previous[0].isdigit()
            or previous[0].casefold() in NUMBER_WORDS
        )
        # Alone, a word right after a noun is its verb ("bees LEFT") or the second half of a
        # pair that stands on its own ("solar panels"): either way not a keyword by itself.
        after_noun = not starts_phrase and previous_noun_like
        content = _is_content_word(token[0]) and not (
            (verb_cued or after_noun) and token[0][0].islower()
        )
        previous_noun_like = (
            noun_like and token[0].casefold() not in stopwords and _is_content_word(token[0])
        )
        phrases_here = [(token[0], content)]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following and text[token.end() : following.start()].isspace():
            after = tokens[index + 2][0].casefold() if index + 2 < len(tokens) else ""
            # "movement raises the", "scammers steal your": a noun, a verb that agrees with it
            # (one of the two ends in -s), then the verb's object.
            second_is_verb = (after in _OBJECT_CUES or after in NUMBER_WORDS) and following[
                0
            ].casefold().endswith("s") != token[0].casefold().endswith("s")
            phrases_here.append(
                (
                    f"{token[0]} {following[0]}",
                    content and _is_content_word(following[0]) and not second_is_verb,
                )
            )
        for surface, content in phrases_here:
            key = surface.lower()
            if key in phrases:
                phrase = phrases[key]
                phrases[key] = replace(
                    phrase, count=phrase.count + 1, content=phrase.content or content
                )
            else:
                phrases[key] = _Phrase(key, surface, len(phrases), noun_like, content=content)
    return phrases


def _is_verb_cue(word: str) -> bool:
    return word.casefold().replace("\u2019", "'") in _VERB_CUES


def _is_content_word(word: str) -> bool:
    """Whether a word could name something to show: not a number, and unless it is written
    with a capital (a name: "Italy"), not an adverb or a past form ("quickly", "built")."""
    folded = word.casefold()
    if folded in NUMBER_WORDS or folded.isdigit():
        return False
    if word[0].isupper():
        return True
    return not (
        folded in _IRREGULAR_PAST
        or (_ADVERB_OR_PARTICIPLE.search(folded) and folded not in _NOT_ADVERBS)
    )


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
