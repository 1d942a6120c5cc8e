"""The offline default script writer ("local"): a small instruction model (Qwen2.5-Coder 1.5B,
GGUF, packaged as "script-model") run inside this process by llama.cpp through xllamacpp. No key,
no network, no cost per call.

The model answers JSON constrained by a JSON schema (llama.cpp samples only tokens the schema
allows), guided by one worked example; the answer is cleaned (labels, Markdown, template phrases),
read by `parse_script_json` and checked against the creator's brief: a number or a name the brief
does not contain is an invented fact. An unusable answer gets one repair request; then the writer
gives up with ProviderFailed and the pipeline falls back to the template writer, saying so.
"""

import functools
import json
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import regex
from django.conf import settings

from ..core import packaged_models, usage
from ..core.errors import ProviderFailed, ProviderRefused
from ..core.keywords import WORD, base_language
from ..scenes import TARGET_SCENE_S, split_sentences
from .base import (
    MAX_SCENES,
    SCRIPT_JSON_SCHEMA,
    SceneDraft,
    ScriptDraft,
    ScriptRequest,
    parse_script_json,
)
from .chat import TEMPLATE_GUIDES, Conversation

logger = logging.getLogger(__name__)

MODEL_NAME = "script-model"
LABEL = "The local script model"
# The languages the packaged model writes well enough to be worth a creator's time, measured on
# a few briefs each (tests/bench_local_writer.py); other languages get the template writer.
LANGUAGES = {"en": "English"}
# Narration pace asked of the model: about 2.5 spoken words a second.
WORDS_PER_SECOND = 2.5
# Room for the JSON around the words: keys, quotes and a visual direction per scene.
TOKENS_PER_SCENE = 60
TOKENS_PER_WORD = 1.6
# The prompt with its worked example is about 900 tokens; the answer is capped to what is left.
CONTEXT_TOKENS = 4096
MAX_ANSWER_TOKENS = 2600
# Said on the last scene where a platform's viewers follow rather than subscribe.
CLOSINGS = {
    "youtube": "End with a short closing line; you may invite viewers to subscribe.",
    "short": (
        "End with a short closing line or a question viewers can answer in the comments. "
        "Never ask viewers to subscribe."
    ),
}
_SHORT_FORM = {"youtube_shorts", "tiktok", "instagram_reels"}
# Lines a template would write: dropped from an answer, sentence by sentence.
_TEMPLATE_LINES = regex.compile(
    r"\b(welcome( back)? to|in (this|today's) video|hey (there|guys|everyone)|"
    r"(don't forget to |please )?(like and )?subscribe)\b",
    regex.IGNORECASE,
)
_SUBSCRIBE = regex.compile(r"\bsubscri", regex.IGNORECASE)
# "Title:", "Hook:", "Scene 2:", "**Narration** -" written before the text itself.
_LABEL = regex.compile(
    r"^\s*(?:[#*_>\-\s]*)(?:title|hook|intro(?:duction)?|outro|scene\s*\d*|narration|narrator|"
    r"visual(?: description)?|call to action|cta|voice ?over|body|step\s*\d*)\s*"
    r"(?:\d+\s*)?[*_]*\s*[:\-\u2013\u2014.]\s*",
    regex.IGNORECASE,
)
_LIST_NUMBER = regex.compile(r"^\s*\d+\s*[.)]\s+")
# "A picture of a cat" is a cat to the illustration matcher.
_PICTURE_OF = regex.compile(
    r"^(?:an? |the )?(?:picture|image|photo|illustration|drawing|shot|scene|video) of ",
    regex.IGNORECASE,
)
_MARKDOWN = regex.compile(r"[*_`#]+|^\s*[-\u2022>]\s+", regex.MULTILINE)
_EMOJI = regex.compile(r"[\p{Extended_Pictographic}\uFE0F\u200d]")
_HASHTAG = regex.compile(r"(?<!\w)#\w+")
_NUMBER = regex.compile(r"\d[\d.,:]*\d|\d")
# A capitalised word inside a sentence: a name, unless the brief has it.
_CAPITALISED = regex.compile(r"(?<=[\p{L}\p{N},;)\u2019'\"] +)\p{Lu}[\p{L}\p{M}'\u2019\-]*")

SYSTEM_PROMPT = """\
You write the narration of short videos and answer with JSON only.
- Use only the facts in the creator's brief and the topic. Never add numbers, years, dates, \
centuries, prices, statistics or names of people, places, brands or products that the brief \
does not contain. Where the brief does not say who, when or where, don't say it either.
- Scene 1 is the hook: a question or a surprising line about the topic. Never begin with \
"Welcome", "Hi", "Today" or "In this video".
- "narration" is what the voice says: plain spoken sentences, with no labels such as "Title:", \
"Hook:" or "Scene 1:", no Markdown, no hashtags and no emojis.
- "visual_description" names concrete things an illustrator can draw: objects, animals, people \
doing something, places. No abstract ideas and no text on screen.
- Each scene says something new; do not repeat a sentence."""
REQUEST_PROMPT = """\
Topic: {topic}
Brief (the only facts you may use): {description}
Kind of video: {template}: {guide}
Tone: {tone}
Write in {language}: the title, every narration and every visual_description.
Length: exactly {scenes} scenes, about {words} words of narration in each: keep it short.
{closing}"""
REPAIR_PROMPT = "Your last answer could not be used: {problem}"
# The worked example: what one request and its answer look like. Without it the model labels
# its lines ("Title:", "Hook:") and drifts from the brief.
EXAMPLE = {
    "en": (
        REQUEST_PROMPT.format(
            topic="Why cats purr",
            description="Cats purr when they are relaxed, but also when they are hurt or "
            "scared. Purring is a low vibration made in the throat. Mother cats purr to guide "
            "their kittens.",
            template="explainer",
            guide=TEMPLATE_GUIDES["explainer"],
            tone="friendly",
            language="English",
            scenes=4,
            words=18,
            closing=CLOSINGS["short"],
        ),
        {
            "title": "Why cats really purr",
            "scenes": [
                {
                    "narration": "You think a purring cat is a happy cat? Not always. That "
                    "soft rumble can mean something else entirely.",
                    "visual_description": "A grey cat curled up on a sofa cushion, eyes half "
                    "closed",
                },
                {
                    "narration": "Purring is a low vibration made deep in the throat, and "
                    "cats do it when they are relaxed.",
                    "visual_description": "Close-up of a cat's throat and chin being "
                    "scratched by a hand",
                },
                {
                    "narration": "But a cat that is hurt or scared may purr too, as if it "
                    "were calming itself down.",
                    "visual_description": "A small cat hiding under a wooden chair at a vet's "
                    "clinic",
                },
                {
                    "narration": "Mother cats even purr to guide their kittens. So, what "
                    "does your cat's purr tell you?",
                    "visual_description": "A mother cat lying in a basket with three kittens "
                    "pressed against her",
                },
            ],
        },
    ),
}

# complete(conversation, json_schema, max_tokens, deadline) -> the model's answer; the deadline
# is a time.monotonic() reading
Complete = Callable[[Conversation, dict, int, float], str]


class LocalScriptWriter:
    """`complete(conversation, json_schema, max_tokens, deadline)` answers a chat: the packaged
    model by default. It is the only place the model is called (tests give their own)."""

    name = "local"

    def available(self) -> bool:
        return packaged_models.is_installed(MODEL_NAME)

    def __init__(self, complete: Complete | None = None):
        self.complete = complete or complete_with_model

    def write(self, request: ScriptRequest) -> ScriptDraft:
        language = base_language(request.language)
        if language not in LANGUAGES:
            raise ProviderRefused(
                f"{LABEL} writes scripts in {', '.join(LANGUAGES.values())} only.",
                detail=f"local: language {request.language!r} is not in {sorted(LANGUAGES)}",
            )
        scenes = scene_count(request)
        schema = answer_schema(scenes)
        # Twice the expected length: a stop for a model that loops, not a target.
        expected_tokens = scenes * TOKENS_PER_SCENE + round(
            request.duration_s * WORDS_PER_SECOND * TOKENS_PER_WORD
        )
        max_tokens = min(MAX_ANSWER_TOKENS, 2 * expected_tokens)
        conversation = script_conversation(request, scenes)
        # The limit is the whole script's, repair included: the creator waits for both.
        deadline = time.monotonic() + settings.SCRIPT_MODEL_TIMEOUT_S
        answer = self.complete(conversation, schema, max_tokens, deadline)
        try:
            return checked_answer(answer, request)
        except ProviderFailed as error:
            problem = error.detail.removeprefix("local: ")
        logger.info("local wrote an unusable script, asking for a repair: %s", problem[:300])
        # The request again with the problem added: shown its own answer, the model copies it.
        *earlier, last = conversation
        repair = [
            *earlier,
            {
                "role": "user",
                "content": f"{last['content']}\n{REPAIR_PROMPT.format(problem=problem)}",
            },
        ]
        answer = self.complete(repair, schema, max_tokens, deadline)
        try:
            return checked_answer(answer, request, salvage_scenes=math.ceil(scenes * 2 / 3))
        except ProviderFailed as error:
            raise ProviderFailed(
                f"{LABEL} wrote a script that could not be used, even when asked to correct "
                "it. Try again, or edit the brief.",
                detail=f"local: unusable twice: {problem[:1000]} / then: "
                f"{error.detail.removeprefix('local: ')[:1000]}",
            ) from error


def scene_count(request: ScriptRequest) -> int:
    scene_s = TARGET_SCENE_S[request.platform]
    return max(3, min(MAX_SCENES, round(request.duration_s / scene_s)))


def answer_schema(scenes: int) -> dict:
    """What the model may write: a title and exactly `scenes` scenes. The language and the
    provider are filled in by the writer; no speakers (a narrator reads it all)."""
    properties = SCRIPT_JSON_SCHEMA["$defs"]["SceneDraft"]["properties"]
    scene = {
        "type": "object",
        "properties": {
            "narration": {"type": "string"},
            "visual_description": {
                "type": "string",
                "maxLength": properties["visual_description"]["maxLength"],
            },
        },
        "required": ["narration", "visual_description"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 100},
            "scenes": {"type": "array", "items": scene, "minItems": scenes, "maxItems": scenes},
        },
        "required": ["title", "scenes"],
        "additionalProperties": False,
    }


def script_conversation(request: ScriptRequest, scenes: int) -> Conversation:
    language = base_language(request.language)
    example_request, example_answer = EXAMPLE.get(language, EXAMPLE["en"])
    details = REQUEST_PROMPT.format(
        topic=request.topic,
        description=request.description or "(none: write only what the topic itself says)",
        template=request.template,
        guide=TEMPLATE_GUIDES[request.template],
        tone=request.tone,
        language=LANGUAGES[language],
        scenes=scenes,
        words=max(6, round(request.duration_s * WORDS_PER_SECOND / scenes)),
        closing=CLOSINGS["short" if request.platform in _SHORT_FORM else "youtube"],
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": example_request},
        {"role": "assistant", "content": _compact_json(example_answer)},
        {"role": "user", "content": details},
    ]


def checked_answer(answer: str, request: ScriptRequest, *, salvage_scenes: int = 0) -> ScriptDraft:
    """The model's answer as a draft: cleaned, read as the script format, and grounded in the
    brief. ProviderFailed with the problem in `detail` (it is shown to the model in a repair).

    With `salvage_scenes`, sentences that invent facts are dropped instead, as long as that
    many scenes are left: a second answer inventing the same inventor is mostly good.
    """
    draft = parse_script_json(answer, provider="local", language=request.language)
    draft = cleaned_draft(draft, request)
    invented = invented_facts(draft, request)
    if invented and salvage_scenes:
        grounded = _without_sentences_using(draft, invented, request.topic)
        if len(grounded.scenes) >= salvage_scenes:
            logger.info("local: dropped the sentences inventing %s", ", ".join(invented))
            return grounded
    if invented:
        raise ProviderFailed(
            "The local model added facts that are not in the brief.",
            detail=f"local: it uses numbers or names that are not in the brief: "
            f"{', '.join(invented)}. Use only the facts of the brief.",
        )
    return draft


def _without_sentences_using(draft: ScriptDraft, words: list[str], topic: str) -> ScriptDraft:
    """The draft without the sentences that use `words`, and without scenes whose picture does."""
    # "19" is used by "the 19th century", "Roman" by "Roman roads".
    uses = regex.compile(
        "|".join(
            rf"(?<!\d){regex.escape(word)}(?!\d)" if word[0].isdigit() else rf"(?<!\w){word}(?!\w)"
            for word in map(regex.escape, words)
        )
    )
    scenes = []
    for scene in draft.scenes:
        narration = " ".join(
            sentence for sentence in split_sentences(scene.narration) if not uses.search(sentence)
        )
        if narration and not uses.search(scene.visual_description):
            scenes.append(scene.model_copy(update={"narration": narration}))
    title = topic[:120] if uses.search(draft.title) else draft.title
    return draft.model_copy(update={"scenes": scenes, "title": title})


def cleaned_draft(draft: ScriptDraft, request: ScriptRequest) -> ScriptDraft:
    """Labels, Markdown, hashtags, emojis and template lines taken out; a scene left with
    nothing to say is dropped."""
    scenes = []
    said: set[str] = set()
    for scene in draft.scenes:
        narration = _without_template_lines(_plain(scene.narration), request.platform, said)
        if narration:
            scenes.append(
                SceneDraft(narration=narration, visual_description=_shown(scene.visual_description))
            )
    if not scenes:
        raise ProviderFailed(
            "The local model wrote a script with nothing to say.",
            detail="local: every scene was empty once labels and template lines were removed",
        )
    title = _plain(draft.title).strip("\"' ") or request.topic
    return draft.model_copy(update={"title": title[:120], "scenes": scenes})


def invented_facts(draft: ScriptDraft, request: ScriptRequest) -> list[str]:
    """Numbers and mid-sentence capitalised words of the script that neither the topic nor the
    brief contains, in order of appearance."""
    source = f"{request.topic}\n{request.description}"
    known_words = {word.casefold() for word in WORD.findall(source)}
    known_numbers = {_digits(number) for number in _NUMBER.findall(source)}
    texts = [draft.title]
    for scene in draft.scenes:
        texts += [scene.narration, scene.visual_description]
    invented = [
        number
        for text in texts
        for number in _NUMBER.findall(text)
        if _digits(number) not in known_numbers
    ]
    invented += [
        word
        for text in texts
        for word in _CAPITALISED.findall(text)
        if word != "I" and not _is_known(word.casefold(), known_words)
    ]
    return list(dict.fromkeys(invented))


def _is_known(word: str, known_words: set[str]) -> bool:
    # "Romans" for "Roman", "Spain's" for "Spain": the same name with an ending.
    stem = regex.sub(r"(?:'s|\u2019s|es|s)$", "", word)
    return (
        word in known_words
        or stem in known_words
        or any(known.startswith(stem) and len(stem) >= 4 for known in known_words)
    )


def _digits(number: str) -> str:
    return regex.sub(r"\D", "", number)


def _shown(visual: str) -> str:
    shown = _PICTURE_OF.sub("", _plain(visual).strip("[]() "))
    return shown[:1].upper() + shown[1:]


def _plain(text: str) -> str:
    text = _HASHTAG.sub("", _EMOJI.sub("", text))
    lines = [_LIST_NUMBER.sub("", _LABEL.sub("", line)) for line in text.splitlines()]
    return " ".join(_MARKDOWN.sub("", " ".join(lines)).split())


def _without_template_lines(narration: str, platform: str, said: set[str]) -> str:
    """The narration without template lines and without sentences an earlier scene said."""
    kept = []
    for sentence in split_sentences(narration):
        key = " ".join(WORD.findall(sentence.casefold()))
        if key in said or _TEMPLATE_LINES.search(sentence):
            continue
        if platform in _SHORT_FORM and _SUBSCRIBE.search(sentence):
            continue
        said.add(key)
        kept.append(sentence)
    return " ".join(kept)


# --- the model ---------------------------------------------------------------------------


def complete_with_model(
    conversation: Conversation, json_schema: dict, max_tokens: int, deadline: float
) -> str:
    """The packaged model's answer to `conversation`, following `json_schema`. Generation stops
    at `max_tokens` or at `deadline` (time.monotonic()), whichever comes first."""
    server = loaded_model(_model_file())
    started = time.monotonic()
    pieces: list[str] = []
    stats: dict[str, Any] = {}

    def receive(chunk: dict) -> bool:
        for choice in chunk.get("choices") or []:
            pieces.append((choice.get("delta") or {}).get("content") or "")
        stats.update(chunk.get("usage") or {})
        return time.monotonic() > deadline  # True stops the generation

    request = {
        "messages": conversation,
        "json_schema": json_schema,
        "max_tokens": max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.2,
        "seed": 7,
    }
    try:
        server.handle_chat_completions(request, receive)
    except Exception as error:  # the binding raises plain exceptions from C++
        raise ProviderFailed(
            f"{LABEL} stopped while writing the script. Try again.",
            detail=f"local: {type(error).__name__}: {error}"[:2000],
        ) from error
    elapsed_s = time.monotonic() - started
    usage.record(
        usage.CallRecord(
            provider=LABEL,
            capability="script",
            units=stats.get("total_tokens", 0),
            unit="tokens",
            outcome="ok",
            duration_s=elapsed_s,
        )
    )
    if time.monotonic() > deadline:
        raise ProviderFailed(
            f"{LABEL} took too long to write the script (over "
            f"{settings.SCRIPT_MODEL_TIMEOUT_S:g} seconds).",
            detail=f"local: stopped after {elapsed_s:.1f} s, {len(pieces)} pieces written",
        )
    return "".join(pieces)


def _model_file() -> Path:
    try:
        return packaged_models.require(MODEL_NAME) / "model.gguf"
    except packaged_models.ModelUnavailable as error:
        raise ProviderRefused(
            f"{LABEL} is not installed or its files are damaged. {error.message}",
            detail=f"local: {error.detail or error.message}",
        ) from error


_loading = threading.Lock()


def loaded_model(path: Path) -> Any:
    """The model at `path`, loaded once per process (a worker keeps it between scripts)."""
    with _loading:  # two threads asking at once must not load it twice
        return _load(str(path), settings.SCRIPT_MODEL_THREADS)


@functools.lru_cache(maxsize=1)  # a model takes a gigabyte of memory: only one stays loaded
def _load(path: str, threads: int) -> Any:
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = path
    params.n_ctx = CONTEXT_TOKENS
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.warmup = False
    params.verbosity = 0
    # The binding also serves HTTP on 127.0.0.1; a key nobody knows keeps other local programs
    # out. Calls from Python don't go through HTTP.
    params.api_keys = [secrets.token_urlsafe(32)]
    started = time.monotonic()
    try:
        server = xllamacpp.Server(params)
    except Exception as error:
        raise ProviderRefused(
            f"{LABEL} could not be loaded. Ask your administrator to reinstall it.",
            detail=f"local: {path}: {type(error).__name__}: {error}"[:2000],
        ) from error
    logger.info("loaded %s in %.1f s with %d threads", path, time.monotonic() - started, threads)
    return server


def _compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
