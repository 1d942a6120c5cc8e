"""Amazon Polly's neural voices, for projects with AWS credentials. A scene's narration goes to
Polly as SSML in chunks under its per-request limit; each chunk is asked for twice, as audio and
as word speech marks, which time the captions. Listed as "polly" in base.voice_providers.

Choices, and why:
- Audio is PCM (16 kHz, signed 16-bit, mono, little-endian), written to the WAV as it comes:
  nothing to decode, and no MP3 encoder delay to shift the speech marks off the sound. 16 kHz
  is the highest rate Polly gives as PCM; the soundtrack is resampled for the video anyway.
- Speed is Polly's own `<prosody rate>`: neural voices support `rate` and `volume` (not
  `pitch`), so the voice keeps its natural pacing and the speech marks describe the audio as
  it is. That needs SSML, so the narration's text is escaped (& < > " ').
- Retries are botocore's "standard" mode (4 attempts in all): throttling, 5xx and dropped
  connections are retried with exponential backoff and full jitter. It honours AWS's own
  `x-amz-retry-after` header (capped at the backoff plus 5 s), not HTTP's `Retry-After`.
- `available()` asks boto3's credential chain (environment, config files, container or
  instance role) and calls no Polly API. On an instance without credentials, the chain's last
  step asks the instance metadata service (link-local, 1 s timeout), so the answer is cached.
"""

import bisect
import contextlib
import itertools
import json
import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, unescape

import boto3
import numpy as np
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.parsers import ResponseParserError
from django.conf import settings

from ..core import usage
from ..core.errors import InvalidInput, ProviderFailed, ProviderRefused
from ..core.types import Speech
from .base import (
    SENTENCE_PAUSE_S,
    TRIM_THRESHOLD,
    Segment,
    Voice,
    Word,
    bcp47,
    clamped_speed,
    not_installed,
    save_speech,
    sentences_to_speak,
    speakable,
    spread,
    voice_providers,
)

logger = logging.getLogger(__name__)

LABEL = "Amazon Polly"
ENGINE = "neural"
SAMPLE_RATE = 16_000
# Per SynthesizeSpeech request: 3,000 billed characters (SSML tags are not billed), 6,000 in all.
MAX_BILLED_CHARS = 3_000
MAX_REQUEST_CHARS = 6_000
ATTEMPTS = 4  # the first try and three retries
VOICES_TTL_S = 3_600
# After a failed listing, voice lists leave Polly out for a while instead of waiting on it.
VOICES_RETRY_AFTER_S = 60
CREDENTIALS_TTL_S = 300
SSML_ENTITIES = {'"': "&quot;", "'": "&apos;"}  # escape() does & < >
# Polly names Chinese and Arabic by their macrolanguage members; people ask for "zh" and "ar".
MACROLANGUAGES = {"cmn": "zh", "yue": "zh", "arb": "ar"}

CREDENTIAL_ERRORS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "AccessDenied",
        "AccessDeniedException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "MissingAuthenticationToken",
        "IncompleteSignature",
        "SignatureDoesNotMatch",
    }
)
UNAVAILABLE_ERRORS = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "ServiceFailureException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "RequestTimeout",
    }
)
# Refusals whose cause we can tell the creator in plain words (the rest quote Polly).
REFUSALS = {
    "EngineNotSupportedException": "This Amazon Polly voice has no neural version. Choose "
    "another voice.",
    "LanguageNotSupportedException": "This Amazon Polly voice does not speak that language. "
    "Choose another voice.",
    "InvalidSsmlException": "Amazon Polly could not read this text. Remove unusual symbols "
    "and try again.",
    "TextLengthExceededException": "This narration is too long for Amazon Polly. Split it over "
    "more scenes.",
}
# What a botocore call raises when it fails: the service's answer, or no usable answer at all.
CALL_ERRORS = (ClientError, BotoCoreError, ResponseParserError)
ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b")


class PollyVoiceProvider:
    name = "polly"

    def available(self) -> bool:
        # Offered once the operator chose Polly (VOICE_PROVIDER=polly), not merely because the
        # machine has AWS credentials (for S3, say): that would ask AWS on every voice list.
        if voice_providers.configured_name() != self.name:
            return False
        return _cached(("credentials",), CREDENTIALS_TTL_S, _credentials_resolve)

    def voices(self) -> list[Voice]:
        """Polly's neural voices; none while Polly cannot be asked (the cause goes to the log),
        so a voice list never waits on, or fails with, a cloud service."""
        if not self.available() or _cache_get(("voices failed", *_endpoint())):
            return []
        try:
            return list(_neural_voices())
        except ProviderFailed as error:
            logger.warning("%s voices could not be listed: %s", LABEL, error.detail)
            _cache_put(("voices failed", *_endpoint()), True, VOICES_RETRY_AFTER_S)
            return []

    def synthesize(self, text: str, *, voice_id: str, speed: float, out_path: Path) -> Speech:
        sentences = sentences_to_speak(text)
        if voice_id not in {voice.id for voice in _neural_voices()}:
            raise not_installed(voice_id)
        speed = clamped_speed(speed)
        client = _polly_client()
        polly_voice = voice_id.partition(":")[2]
        segments = [
            _speak_chunk(client, chunk, polly_voice, pause_after_s=SENTENCE_PAUSE_S / speed)
            for chunk in _chunks(sentences, speed)
        ]
        return save_speech(segments, out_path=out_path, provider=self.name, voice_id=voice_id)


# --- The client, and what Polly's errors mean to a creator ---------------------------------------


def _polly_client():
    timeout_s = settings.PROVIDER_TIMEOUT_S
    config = Config(
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        retries={"mode": "standard", "total_max_attempts": ATTEMPTS},
    )
    # A session per client: boto3's default session is not thread-safe, clients are.
    return boto3.session.Session().client(
        "polly",
        region_name=settings.POLLY_REGION,
        endpoint_url=settings.POLLY_ENDPOINT_URL or None,
        config=config,
    )


def _endpoint() -> tuple[str, str]:
    return settings.POLLY_REGION, settings.POLLY_ENDPOINT_URL


def _credentials_resolve() -> bool:
    try:
        return boto3.session.Session().get_credentials() is not None
    except BotoCoreError:  # a profile that is named but broken
        return False


def _polly_error(error: Exception, *, call: str) -> ProviderFailed:
    """The error a creator sees for a failed call; `detail` keeps Polly's own words."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        metadata = error.response.get("ResponseMetadata", {})
        code, status = info.get("Code", ""), metadata.get("HTTPStatusCode", 0)
        reason = _scrubbed(info.get("Message", ""))
        detail = f"{call}: HTTP {status} {code}: {reason} (request {metadata.get('RequestId')})"
        if status in (401, 403) or code in CREDENTIAL_ERRORS:
            return ProviderRefused(
                f"{LABEL} refused our credentials. Ask your administrator to check the AWS "
                "access key and its permission to use Polly.",
                detail=detail,
            )
        if status == 429 or status >= 500 or code in UNAVAILABLE_ERRORS:
            return ProviderFailed(
                f"{LABEL} is not answering right now. Try again in a few minutes.",
                detail=f"{detail} after {metadata.get('RetryAttempts', 0)} retries",
            )
        message = REFUSALS.get(code) or f"{LABEL} refused the request: {reason or code}"
        return ProviderRefused(message, detail=detail)
    detail = f"{call}: {type(error).__name__}: {_scrubbed(str(error))}"
    if isinstance(error, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError):
        return ProviderRefused(
            f"{LABEL} has no AWS credentials to use. Ask your administrator to set them up.",
            detail=detail,
        )
    if isinstance(error, ResponseParserError):
        return ProviderFailed(
            f"{LABEL} sent an answer we could not read. Try again in a few minutes.",
            detail=detail,
        )
    return ProviderFailed(
        f"{LABEL} is not answering right now. Try again in a few minutes.", detail=detail
    )


def _scrubbed(text: str) -> str:
    """Polly quotes the access key id in some signature errors; logs get neither key."""
    return ACCESS_KEY.sub("***", text)[:300]


# --- Voices --------------------------------------------------------------------------------------


def _neural_voices() -> tuple[Voice, ...]:
    return _cached(("voices", *_endpoint()), VOICES_TTL_S, _list_neural_voices)


def _list_neural_voices() -> tuple[Voice, ...]:
    try:
        pages = _polly_client().get_paginator("describe_voices").paginate(Engine=ENGINE)
        listing = list(pages)
    except CALL_ERRORS as error:
        raise _polly_error(error, call="DescribeVoices") from error
    try:
        voices = [_voice(entry) for page in listing for entry in page["Voices"]]
    except (KeyError, TypeError, AttributeError) as error:
        raise ProviderFailed(
            f"{LABEL} sent a voice list we could not read.", detail=f"DescribeVoices: {error!r}"
        ) from error
    return tuple(sorted(voices, key=lambda voice: (voice.language, voice.label)))


def _voice(entry: dict) -> Voice:
    code = bcp47(entry["LanguageCode"])
    spoken = entry.get("LanguageName") or code
    other_codes = [bcp47(other) for other in entry.get("AdditionalLanguageCodes", [])]
    for tag in [code, *other_codes]:
        base, _, region = tag.partition("-")
        if base in MACROLANGUAGES:
            other_codes.append("-".join(filter(None, [MACROLANGUAGES[base], region])))
    return Voice(
        f"polly:{entry['Id']}",
        "polly",
        f"{entry.get('Name') or entry['Id']} ({spoken}, neural)",
        code,
        "neural",
        tuple(dict.fromkeys(other_codes)),
    )


# --- Narration in chunks Polly accepts -----------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    ssml: str
    billed_chars: int  # the text without tags, as Polly bills it
    words: list[Word]
    word_bytes: list[tuple[int, int]]  # per word, where its text lies in `ssml`, in UTF-8 bytes


def _chunks(sentences: list[list[Word]], speed: float) -> list[_Chunk]:
    """Whole sentences per chunk, as many as fit; a sentence too long on its own is cut
    between words."""
    chunks: list[_Chunk] = []
    pending: list[list[Word]] = []
    for sentence in itertools.chain.from_iterable(_fitting(s, speed) for s in sentences):
        candidate = _chunk([*pending, sentence], speed)
        if pending and not _fits(candidate):
            chunks.append(_chunk(pending, speed))
            pending = [sentence]
        else:
            pending.append(sentence)
    chunks.append(_chunk(pending, speed))
    return chunks


def _fitting(sentence: list[Word], speed: float) -> list[list[Word]]:
    if _fits(_chunk([sentence], speed)):
        return [sentence]
    parts: list[list[Word]] = [[]]
    for word in sentence:
        if not _fits(_chunk([[word]], speed)):
            raise InvalidInput(
                f"This narration has a word of {len(word.text):,} characters; {LABEL} can say "
                f"at most {MAX_BILLED_CHARS:,} at a time. Shorten it."
            )
        if parts[-1] and not _fits(_chunk([[*parts[-1], word]], speed)):
            parts.append([])
        parts[-1].append(word)
    return parts


def _fits(chunk: _Chunk) -> bool:
    return chunk.billed_chars <= MAX_BILLED_CHARS and len(chunk.ssml) <= MAX_REQUEST_CHARS


def _chunk(sentences: list[list[Word]], speed: float) -> _Chunk:
    """`<speak><prosody rate="N%"><s>word word</s>...</prosody></speak>`, with each word's text
    escaped and its place in the document kept, to match Polly's speech marks to it."""
    pieces = [f'<speak><prosody rate="{round(speed * 100)}%">']
    size = len(pieces[0].encode())
    billed = 0
    words: list[Word] = []
    word_bytes: list[tuple[int, int]] = []

    def add(piece: str) -> int:
        nonlocal size
        pieces.append(piece)
        size += len(piece.encode())
        return size

    for sentence in sentences:
        add("<s>")
        for index, word in enumerate(sentence):
            if index:
                add(" ")
                billed += 1
            said = _said(word)
            start = size
            word_bytes.append((start, add(escape(said, SSML_ENTITIES))))
            words.append(word)
            billed += len(said)
        add("</s>")
    add("</prosody></speak>")
    return _Chunk("".join(pieces), billed, words, word_bytes)


def _said(word: Word) -> str:
    # Control characters are not allowed in XML; Polly would refuse the whole chunk.
    return "".join(char for char in speakable(word.text) if unicodedata.category(char) != "Cc")


# --- Speaking a chunk ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mark:
    time_ms: int
    start: int  # UTF-8 byte offsets of the spoken word in the request's Text
    end: int
    value: str


def _speak_chunk(client, chunk: _Chunk, polly_voice: str, *, pause_after_s: float) -> Segment:
    body, content_type = _synthesize(
        client, chunk, polly_voice, OutputFormat="pcm", SampleRate=str(SAMPLE_RATE)
    )
    if not content_type.startswith("audio/pcm"):
        raise ProviderFailed(
            f"{LABEL} sent something other than the audio we asked for. Try again in a few "
            "minutes.",
            detail=f"SynthesizeSpeech pcm: Content-Type {content_type!r}, {len(body)} bytes",
        )
    audio = np.frombuffer(body[: len(body) // 2 * 2], "<i2")
    marks_body, _ = _synthesize(
        client, chunk, polly_voice, OutputFormat="json", SpeechMarkTypes=["word"]
    )
    spans, aligned = _word_spans(chunk, _word_marks(marks_body), audio)
    return Segment(audio, SAMPLE_RATE, chunk.words, spans, aligned, pause_after_s)


def _synthesize(client, chunk: _Chunk, polly_voice: str, **output: Any) -> tuple[bytes, str]:
    """One SynthesizeSpeech call (with botocore's retries), reported to usage as billed."""
    started = time.monotonic()
    outcome = "error"
    billed = chunk.billed_chars
    try:
        response = client.synthesize_speech(
            Engine=ENGINE, Text=chunk.ssml, TextType="ssml", VoiceId=polly_voice, **output
        )
        with contextlib.closing(response["AudioStream"]) as stream:
            body = stream.read()
        billed = response.get("RequestCharacters", billed)
        outcome = "ok"
        return body, response.get("ContentType", "")
    except CALL_ERRORS as error:
        problem = _polly_error(error, call=f"SynthesizeSpeech {output['OutputFormat']}")
        outcome = "refused" if isinstance(problem, ProviderRefused) else "error"
        raise problem from error
    finally:
        usage.record(
            usage.CallRecord(
                provider=LABEL,
                capability="voice",
                units=billed,
                unit="characters",
                outcome=outcome,
                duration_s=time.monotonic() - started,
            )
        )


def _word_marks(body: bytes) -> list[_Mark]:
    """Polly's speech marks: one JSON object per line."""
    marks = []
    try:
        for line in body.decode("utf-8").splitlines():
            if line.strip():
                mark = json.loads(line)
                if mark.get("type") == "word":
                    marks.append(
                        _Mark(
                            int(mark["time"]),
                            int(mark["start"]),
                            int(mark["end"]),
                            str(mark.get("value", "")),
                        )
                    )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise ProviderFailed(
            f"{LABEL} sent word timings we could not read. Try again in a few minutes.",
            detail=f"SynthesizeSpeech json: {error!r} in {body[:200]!r}",
        ) from error
    return marks


def _word_spans(
    chunk: _Chunk, marks: list[_Mark], audio: np.ndarray
) -> tuple[list[tuple[int, int]], bool]:
    """Sample spans of the chunk's words, and whether every word had a mark of its own.

    A mark belongs to the word whose text it starts in, if its value is the text there (a
    check that the offsets mean what we think). Polly marks a word's start only: a word runs to
    the next word's start or, before a pause, to where the sound stops. Words without a mark
    share the span of the marked word before them.
    """
    document = chunk.ssml.encode()
    word_starts = [start for start, _end in chunk.word_bytes]
    starts: dict[int, int] = {}
    for mark in marks:
        index = bisect.bisect_right(word_starts, mark.start) - 1
        if index < 0 or mark.start >= chunk.word_bytes[index][1] or index in starts:
            continue
        written = document[mark.start : mark.end].decode("utf-8", errors="replace")
        if mark.value not in (written, unescape(written, {"&quot;": '"', "&apos;": "'"})):
            logger.debug("Speech mark %r does not match %r", mark, written)
            continue
        starts[index] = min(len(audio), round(mark.time_ms * SAMPLE_RATE / 1000))
    firsts = sorted({0, *starts})  # words that start a group of words sharing a span
    group_starts = list(itertools.accumulate((starts.get(first, 0) for first in firsts), max))
    spans: list[tuple[int, int]] = []
    for group, first in enumerate(firsts):
        last = firsts[group + 1] if group + 1 < len(firsts) else len(chunk.words)
        start = group_starts[group]
        stop = group_starts[group + 1] if group + 1 < len(firsts) else len(audio)
        spans += spread(chunk.words[first:last], start, _sound_end(audio, start, stop))
    return spans, len(starts) == len(chunk.words)


def _sound_end(audio: np.ndarray, start: int, stop: int) -> int:
    """Where the sound in [start, stop) goes quiet, keeping 10 ms so endings are not clipped."""
    loud = np.flatnonzero(np.abs(audio[start:stop].astype(np.int32)) > TRIM_THRESHOLD * 32768)
    if not loud.size:
        return stop
    return min(stop, start + int(loud[-1]) + 1 + SAMPLE_RATE // 100)


# --- A small cache with expiry, shared by worker threads -----------------------------------------

_cache: dict[tuple, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _cache_get(key: tuple) -> Any:
    with _cache_lock:
        expires_at, value = _cache.get(key, (0.0, None))
        return value if expires_at > time.monotonic() else None


def _cache_put(key: tuple, value: Any, ttl_s: float) -> None:
    with _cache_lock:
        _cache[key] = (time.monotonic() + ttl_s, value)


def _cached(key: tuple, ttl_s: float, compute: Callable[[], Any]) -> Any:
    # Computed outside the lock: a slow listing must not hold up other threads' lookups.
    value = _cache_get(key)
    if value is None:
        value = compute()
        _cache_put(key, value, ttl_s)
    return value
