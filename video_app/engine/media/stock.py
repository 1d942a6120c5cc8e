"""Stock photos and clips from Pexels and Pixabay: the scene's keywords searched on the service,
the best-fitting file downloaded and checked, then handed to the renderer with its credit line.

How a result is chosen (the renderer crops whatever it gets to fill the frame):
- The query is the scene's first two keywords (the start of its visual description when it has
  none), then the first keyword alone if that finds nothing. Searches ask for the frame's
  orientation and, where the service allows, a minimum size.
- Each result is taken at its smallest rendition that covers the size asked for (the request's
  frame for photos; the video frame for clips, which get no Ken Burns room), else its largest.
- A result *fits* when that rendition covers the video frame (the request is ~1.2x larger): a
  little softness at the deepest zoom is accepted, an upscaled picture is not.
- Photos first. Clips are searched only when no photo fits; when nothing fits either, the
  sharpest result found is used (least upscaling; a photo on ties).
- Among fitting results the closest in shape to the frame wins, in 10% steps, then the service's
  own order (relevance). `variant` ("regenerate") takes the next one down that list.

Searches are cached for 24 hours (Pixabay asks for it) and downloads for good, under
RENDER_CACHE_DIR/providers/<name>/, so retrying a scene or rendering again costs no request.
"""

import hashlib
import json
import math
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings
from PIL import Image

from ..core import credentials
from ..core.encoding import MAX_PICTURE_PIXELS, OVERSCAN
from ..core.errors import InvalidInput, ProviderFailed, ProviderRefused
from ..core.ffmpeg import atomic_output, probe
from ..core.http import FileTarget, ProviderHttp, mask
from ..core.types import FrameSize, MediaItem
from .base import MediaRequest

SEARCH_CACHE_MAX_AGE_S = 24 * 60 * 60
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
RESULTS_PER_SEARCH = 15
SHAPE_STEP = math.log(1.1)  # shapes within 10% of each other count as equally close
QUERY_MAX_CHARS = 100  # Pixabay's limit; Pexels has none worth reaching

Kind = Literal["image", "video"]


@dataclass(frozen=True)
class Rendition:
    name: str  # the service's name for it: "large2x", "hd", "medium", ...
    url: str
    width: int
    height: int
    size_bytes: int | None = None


@dataclass(frozen=True)
class StockResult:
    kind: Kind
    id: str
    rank: int  # position in the service's answer: its relevance order
    author: str
    page_url: str
    renditions: tuple[Rendition, ...]
    author_url: str = ""


@dataclass(frozen=True)
class Offer:
    result: StockResult
    rendition: Rendition
    query: str
    fits: bool


@dataclass(frozen=True)
class _Checked:
    width: int
    height: int
    suffix: str
    duration_s: float | None = None


class StockMediaProvider:
    """What Pexels and Pixabay share; each subclass says how its service is asked and answers."""

    name = ""
    label = ""
    licence = ""
    key_setting = ""
    base_url_setting = ""

    def find(self, request: MediaRequest, out_dir: Path) -> MediaItem | None:
        key = credentials.get(self.key_setting)
        if not key:
            # Permanent until someone configures it, so a refusal: tasks don't retry those.
            raise ProviderRefused(
                f"{self.label} needs an API key: set {self.key_setting} in the environment or "
                "add it in admin (Provider keys).",
                detail=f"{self.key_setting} is empty",
            )
        subject = f"scene {request.scene_index + 1}"
        api = ProviderHttp(
            label=self.label,
            capability="media",
            base_url=getattr(settings, self.base_url_setting),
            headers=self._auth_headers(key),
            timeout_s=settings.PROVIDER_TIMEOUT_S,
        )
        try:
            photos = self._offers(api, key, "image", request, subject)
            ranked = _fitting(photos, request.frame)
            if not ranked:
                clips = self._offers(api, key, "video", request, subject)
                ranked = _fitting(clips, request.frame) or _sharpest(photos + clips, request.frame)
        finally:
            api.client.close()
        if not ranked:
            return None
        return self._deliver(ranked[request.variant % len(ranked)], request, out_dir, subject)

    # --- what each service does its own way ----------------------------------------------------

    def _auth_headers(self, key: str) -> dict:
        return {}

    def _auth_params(self, key: str) -> dict:
        return {}

    def _search_call(self, kind: Kind, query: str, request: MediaRequest) -> tuple[str, dict]:
        """The path and parameters (without the key) of a search."""
        raise NotImplementedError

    def _hits(self, kind: Kind, body) -> list:
        raise NotImplementedError

    def _result(self, kind: Kind, hit: dict, rank: int) -> StockResult:
        raise NotImplementedError

    def _credit(self, result: StockResult) -> str:
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------------------

    def _offers(
        self, api: ProviderHttp, key: str, kind: Kind, request: MediaRequest, subject: str
    ) -> list[Offer]:
        video_frame = _video_frame(request.frame)
        wanted = request.frame if kind == "image" else video_frame
        for query in _queries(request):
            results = self._search(api, key, kind, query, request, subject)
            offers = []
            for result in results:
                rendition = _best_rendition(result.renditions, wanted)
                if rendition is not None:
                    offers.append(Offer(result, rendition, query, _covers(rendition, video_frame)))
            if offers:
                return offers
        return []

    def _search(
        self,
        api: ProviderHttp,
        key: str,
        kind: Kind,
        query: str,
        request: MediaRequest,
        subject: str,
    ) -> list[StockResult]:
        path, params = self._search_call(kind, query, request)
        material = json.dumps([kind, path, params], sort_keys=True)
        cached = self._cache_dir() / "searches" / f"{_sha(material)}.json"
        if _fresh(cached, SEARCH_CACHE_MAX_AGE_S):
            try:
                return self._results(kind, json.loads(cached.read_text()), subject)
            except (ValueError, ProviderFailed):
                pass  # an unreadable cache entry is a miss
        response = api.request(
            "GET", path, params={**params, **self._auth_params(key)}, subject=subject
        )
        try:
            body = response.json()
        except ValueError as error:
            raise self._unreadable(subject, f"not JSON: {error}; {response.text[:200]!r}") from None
        results = self._results(kind, body, subject)  # checked before it is kept
        with atomic_output(cached) as partial:
            partial.write_text(json.dumps(body))
        return results

    def _results(self, kind: Kind, body, subject: str) -> list[StockResult]:
        """The usable results of an answer. One odd hit is skipped; an answer whose hits are all
        unreadable (or that has no list of hits) means the service changed shape."""
        try:
            hits = self._hits(kind, body)
            if not isinstance(hits, list):
                raise TypeError(f"hits are a {type(hits).__name__}")
        except (KeyError, TypeError) as error:
            raise self._unreadable(subject, f"no list of results: {error!r}") from None
        results, problems = [], []
        for rank, hit in enumerate(hits):
            try:
                results.append(self._result(kind, hit, rank))
            except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as error:
                problems.append(repr(error))
        if hits and not results:
            raise self._unreadable(subject, f"no readable result: {'; '.join(problems[:3])}")
        return results

    def _unreadable(self, subject: str, detail: str) -> ProviderFailed:
        return ProviderFailed(
            f"{self.label} sent a search answer we could not read for {subject}. "
            "Try again in a few minutes.",
            detail=f"{self.label} search: {mask(detail)}"[:2000],
        )

    def _deliver(
        self, offer: Offer, request: MediaRequest, out_dir: Path, subject: str
    ) -> MediaItem:
        result, rendition = offer.result, offer.rendition
        cached, checked = self._fetch(result.kind, rendition.url, subject)
        path = out_dir / (
            f"scene-{request.scene_index:03d}-{self.name}-{result.kind}-"
            f"{result.id}-{_sha(rendition.url)[:8]}{checked.suffix}"
        )
        if not path.exists():
            with atomic_output(path) as partial:
                shutil.copyfile(cached, partial)
        return MediaItem(
            path=path,
            kind=result.kind,
            width=checked.width,
            height=checked.height,
            source=self.name,
            query=offer.query,
            licence=self.licence,
            attribution=self._credit(result),
            duration_s=checked.duration_s,
            extra={
                "page_url": result.page_url,
                "author_url": result.author_url,
                "id": result.id,
                "rendition": rendition.name,
            },
        )

    def _fetch(self, kind: Kind, url: str, subject: str) -> tuple[Path, _Checked]:
        """The downloaded file (from the cache when it was fetched before) and what it holds."""
        cached = self._cache_dir() / "files" / _sha(url)
        if cached.exists():
            try:
                return cached, self._check(cached, kind, url, subject)
            except ProviderFailed:
                cached.unlink(missing_ok=True)
                raise
        with atomic_output(cached) as partial:
            self._download(url, partial, subject)
            checked = self._check(partial, kind, url, subject)
        return cached, checked

    def _download(self, url: str, path: Path, subject: str) -> None:
        # Its own client: the API key stays with the API, files come from the services' CDNs.
        # Identity encoding, so the bytes written are the file itself.
        cdn = ProviderHttp(
            label=self.label,
            capability="media",
            base_url="",
            headers={"Accept-Encoding": "identity"},
            timeout_s=settings.PROVIDER_TIMEOUT_S,
        )

        def too_large() -> ProviderFailed:
            return ProviderFailed(
                f"The file {self.label} offers for {subject} is larger than "
                f"{MAX_DOWNLOAD_BYTES // 1024 // 1024} MB. Pick another picture.",
                detail=f"GET {mask(url)}: over {MAX_DOWNLOAD_BYTES} bytes",
            )

        try:
            cdn.request(
                "GET",
                url,
                unit="downloads",
                subject=subject,
                to_file=FileTarget(path, MAX_DOWNLOAD_BYTES, too_large),
            )
        finally:
            cdn.client.close()

    def _check(self, path: Path, kind: Kind, url: str, subject: str) -> _Checked:
        """Size and length of a downloaded file, or ProviderFailed if it can't be used."""
        what = "picture" if kind == "image" else "clip"
        try:
            checked = _check_picture(path) if kind == "image" else _check_clip(path)
        except (
            OSError,
            ValueError,
            SyntaxError,
            Image.DecompressionBombError,
            InvalidInput,
        ) as error:
            raise ProviderFailed(
                f"The {what} {self.label} sent for {subject} cannot be opened. "
                "Try again, or pick another picture.",
                detail=f"GET {mask(url)}: {getattr(error, 'detail', '') or error!r}",
            ) from None
        return checked

    def _cache_dir(self) -> Path:
        return Path(settings.RENDER_CACHE_DIR) / "providers" / self.name


# --- Pexels -------------------------------------------------------------------------------------

# Pexels' search locales, by language (https://www.pexels.com/api/documentation/#photos-search).
PEXELS_LOCALES = {
    "pt": "pt-BR",
    "es": "es-ES",
    "ca": "ca-ES",
    "de": "de-DE",
    "it": "it-IT",
    "fr": "fr-FR",
    "sv": "sv-SE",
    "id": "id-ID",
    "pl": "pl-PL",
    "ja": "ja-JP",
    "zh": "zh-CN",
    "ko": "ko-KR",
    "th": "th-TH",
    "nl": "nl-NL",
    "hu": "hu-HU",
    "vi": "vi-VN",
    "cs": "cs-CZ",
    "da": "da-DK",
    "fi": "fi-FI",
    "uk": "uk-UA",
    "el": "el-GR",
    "ro": "ro-RO",
    "nb": "nb-NO",
    "no": "nb-NO",
    "sk": "sk-SK",
    "tr": "tr-TR",
    "ru": "ru-RU",
}


class PexelsMediaProvider(StockMediaProvider):
    """Pexels: `GET /v1/search` and `GET /videos/search`, the key in the Authorization header."""

    name = "pexels"
    label = "Pexels"
    licence = "Pexels License"
    key_setting = "PEXELS_API_KEY"
    base_url_setting = "PEXELS_BASE_URL"

    def _auth_headers(self, key: str) -> dict:
        return {"Authorization": key}

    def _search_call(self, kind: Kind, query: str, request: MediaRequest) -> tuple[str, dict]:
        frame = request.frame
        params = {"query": query, "orientation": _orientation(frame)}
        if kind == "image":
            # Minimum sizes: small 4, medium 12, large 24 megapixels.
            pixels = frame.width * frame.height
            params["size"] = "small" if pixels <= 4e6 else "medium" if pixels <= 12e6 else "large"
        else:
            # Minimum sizes: small HD, medium Full HD, large 4K.
            side = max(_video_frame(frame).width, _video_frame(frame).height)
            params["size"] = "small" if side <= 1280 else "medium" if side <= 1920 else "large"
        params["per_page"] = RESULTS_PER_SEARCH
        locale = _pexels_locale(request.language)
        if locale:
            params["locale"] = locale
        return ("/v1/search" if kind == "image" else "/videos/search"), params

    def _hits(self, kind: Kind, body) -> list:
        return body["photos" if kind == "image" else "videos"]

    def _result(self, kind: Kind, hit: dict, rank: int) -> StockResult:
        if kind == "image":
            sizes = _pexels_photo_sizes(int(hit["width"]), int(hit["height"]))
            renditions = tuple(
                Rendition(name, hit["src"][name], *size)
                for name, size in sizes.items()
                if hit["src"].get(name)
            )
            return StockResult(
                "image",
                str(hit["id"]),
                rank,
                hit["photographer"],
                hit["url"],
                renditions,
                hit.get("photographer_url") or "",
            )
        renditions = tuple(
            Rendition(
                file.get("quality") or "",
                file["link"],
                int(file["width"]),
                int(file["height"]),
                file.get("size"),
            )
            for file in hit["video_files"]
            # HLS playlists come without a size; only whole MP4 files are of use.
            if file.get("file_type") == "video/mp4" and file.get("width") and file.get("height")
        )
        user = hit["user"]
        return StockResult(
            "video",
            str(hit["id"]),
            rank,
            user["name"],
            hit["url"],
            renditions,
            user.get("url") or "",
        )

    def _credit(self, result: StockResult) -> str:
        # The wording Pexels asks for: "Photo by John Doe on Pexels".
        return f"{'Photo' if result.kind == 'image' else 'Video'} by {result.author} on Pexels"


def _pexels_photo_sizes(width: int, height: int) -> dict[str, tuple[int, int]]:
    """What each `src` rendition measures, as the API reference describes them."""
    return {
        "original": (width, height),
        "large2x": _within(width, height, 1880, 1300),  # 940x650 at DPR 2
        "large": _within(width, height, 940, 650),
        "medium": _within(width, height, width, 350),
        "small": _within(width, height, width, 130),
        "portrait": (800, 1200),  # cropped
        "landscape": (1200, 627),  # cropped
        "tiny": (280, 200),  # cropped
    }


def _pexels_locale(language: str) -> str:
    tag = language.replace("_", "-")
    primary, _, region = tag.partition("-")
    exact = f"{primary.lower()}-{region.upper()}"
    if exact in PEXELS_LOCALES.values():
        return exact
    return PEXELS_LOCALES.get(primary.lower(), "")


# --- Pixabay ------------------------------------------------------------------------------------

PIXABAY_LANGUAGES = frozenset(
    {
        "bg",
        "cs",
        "da",
        "de",
        "el",
        "en",
        "es",
        "fi",
        "fr",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "nl",
        "no",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sv",
        "th",
        "tr",
        "vi",
        "zh",
    }
)


class PixabayMediaProvider(StockMediaProvider):
    """Pixabay: `GET /api/` and `GET /api/videos/`, the key as a query parameter (masked in
    every message and log by the HTTP client). Without full API access photos stop at 1280 px."""

    name = "pixabay"
    label = "Pixabay"
    licence = "Pixabay Content License"
    key_setting = "PIXABAY_API_KEY"
    base_url_setting = "PIXABAY_BASE_URL"

    def _auth_params(self, key: str) -> dict:
        return {"key": key}

    def _search_call(self, kind: Kind, query: str, request: MediaRequest) -> tuple[str, dict]:
        params = {"q": query, "per_page": RESULTS_PER_SEARCH, "safesearch": "true"}
        if kind == "image":
            params["image_type"] = "photo"
            orientation = _orientation(request.frame)
            if orientation != "square":  # Pixabay has no square filter
                params["orientation"] = {"landscape": "horizontal"}.get(orientation, "vertical")
        lang = request.language.replace("_", "-").split("-")[0].lower()
        if lang != "en" and lang in PIXABAY_LANGUAGES:
            params["lang"] = lang
        return ("/api/" if kind == "image" else "/api/videos/"), params

    def _hits(self, kind: Kind, body) -> list:
        return body["hits"]

    def _result(self, kind: Kind, hit: dict, rank: int) -> StockResult:
        author_url = (
            f"https://pixabay.com/users/{hit['user']}-{hit['user_id']}/"
            if hit.get("user_id")
            else ""
        )
        if kind == "image":
            width, height = int(hit["imageWidth"]), int(hit["imageHeight"])
            renditions = [
                Rendition(
                    "webformat",
                    hit["webformatURL"],
                    int(hit["webformatWidth"]),
                    int(hit["webformatHeight"]),
                ),
                Rendition("large", hit["largeImageURL"], *_within(width, height, 1280, 1280)),
            ]
            # Only with full API access:
            if hit.get("fullHDURL"):
                renditions.append(
                    Rendition("fullHD", hit["fullHDURL"], *_within(width, height, 1920, 1920))
                )
            if hit.get("imageURL"):
                renditions.append(Rendition("original", hit["imageURL"], width, height))
            return StockResult(
                "image",
                str(hit["id"]),
                rank,
                hit["user"],
                hit["pageURL"],
                tuple(renditions),
                author_url,
            )
        renditions = tuple(
            Rendition(
                name, video["url"], int(video["width"]), int(video["height"]), video.get("size")
            )
            for name, video in hit["videos"].items()
            if video.get("url") and video.get("width") and video.get("height")  # may be empty
        )
        return StockResult(
            "video", str(hit["id"]), rank, hit["user"], hit["pageURL"], renditions, author_url
        )

    def _credit(self, result: StockResult) -> str:
        # Pixabay's own suggested credit: "Image by <user> from Pixabay".
        return f"{'Image' if result.kind == 'image' else 'Video'} by {result.author} from Pixabay"


# --- choosing -----------------------------------------------------------------------------------


def _queries(request: MediaRequest) -> list[str]:
    keywords = [keyword.strip() for keyword in request.keywords if keyword.strip()]
    if keywords:
        queries = [" ".join(keywords[:2]), keywords[0]]
    else:
        queries = [" ".join(request.visual_description.split()[:6])]
    return list(dict.fromkeys(query[:QUERY_MAX_CHARS] for query in queries if query))


def _orientation(frame: FrameSize) -> str:
    if frame.aspect > 1.1:
        return "landscape"
    if frame.aspect < 1 / 1.1:
        return "portrait"
    return "square"


def _video_frame(frame: FrameSize) -> FrameSize:
    """The video's own frame: the request asks for OVERSCAN times more, for Ken Burns room."""
    return FrameSize(round(frame.width / OVERSCAN), round(frame.height / OVERSCAN))


def _within(width: int, height: int, box_width: int, box_height: int) -> tuple[int, int]:
    scale = min(1.0, box_width / width, box_height / height)
    return round(width * scale), round(height * scale)


def _covers(rendition: Rendition, frame: FrameSize) -> bool:
    return rendition.width >= frame.width and rendition.height >= frame.height


def _best_rendition(renditions: tuple[Rendition, ...], frame: FrameSize) -> Rendition | None:
    """The smallest rendition covering `frame`, else the largest; none over the size limits."""
    usable = [
        rendition
        for rendition in renditions
        if 0 < rendition.width * rendition.height <= MAX_PICTURE_PIXELS
        and (rendition.size_bytes or 0) <= MAX_DOWNLOAD_BYTES
    ]
    if not usable:
        return None
    covering = [rendition for rendition in usable if _covers(rendition, frame)]
    if covering:
        return min(covering, key=lambda rendition: rendition.width * rendition.height)
    return max(usable, key=lambda rendition: rendition.width * rendition.height)


def _fitting(offers: list[Offer], frame: FrameSize) -> list[Offer]:
    """Offers that fit: closest in shape first (in SHAPE_STEP steps), then the service's order."""

    def shape_steps(offer: Offer) -> int:
        aspect = offer.rendition.width / offer.rendition.height
        return math.floor(abs(math.log(aspect / frame.aspect)) / SHAPE_STEP)

    return sorted(
        (offer for offer in offers if offer.fits),
        key=lambda offer: (shape_steps(offer), offer.result.rank),
    )


def _sharpest(offers: list[Offer], frame: FrameSize) -> list[Offer]:
    """When nothing fits: least upscaling to the video frame first, photos before clips, then
    the service's order."""
    video_frame = _video_frame(frame)

    def upscaling(offer: Offer) -> float:
        rendition = offer.rendition
        return round(
            max(video_frame.width / rendition.width, video_frame.height / rendition.height), 2
        )

    return sorted(
        offers,
        key=lambda offer: (upscaling(offer), offer.result.kind == "video", offer.result.rank),
    )


# --- files --------------------------------------------------------------------------------------


_SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif"}


def _check_picture(path: Path) -> _Checked:
    with Image.open(path) as image:
        if image.width * image.height > MAX_PICTURE_PIXELS:
            raise ValueError(f"{image.width}x{image.height} is over the renderer's limit")
        image.load()  # a header alone can look valid
        suffix = _SUFFIXES.get(image.format or "", f".{(image.format or 'img').lower()}")
        return _Checked(image.width, image.height, suffix)


def _check_clip(path: Path) -> _Checked:
    info = probe(path, decode=True)
    if not info.has_video or info.duration_s <= 0:
        raise ValueError("no moving picture in it")
    if info.width * info.height > MAX_PICTURE_PIXELS:
        raise ValueError(f"{info.width}x{info.height} is over the renderer's limit")
    return _Checked(info.width, info.height, ".mp4", info.duration_s)


def _fresh(path: Path, max_age_s: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < max_age_s
    except FileNotFoundError:
        return False


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
