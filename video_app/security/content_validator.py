"""Checks every file a creator uploads by what it contains, never by its name or the type the
browser claimed, before anything keeps it: pictures come back re-encoded without metadata (and at
most 4096 pixels a side), videos and sound come back as uploaded once every packet has been read,
their length measured from those packets (not the header) and their first and last second decoded.

Forms use `ValidatedFileField`; other code calls `ContentValidator().validate(upload)`. A refusal
is a `ValidationError` worded for the creator; the technical cause goes to the log.
"""

import contextlib
import functools
import io
import logging
import math
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import av
import filetype
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from PIL import (
    GifImagePlugin,
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from video_app.engine.core.errors import InvalidInput, RenderFailed
from video_app.engine.core.ffmpeg import MediaInfo, probe, run_ffmpeg

logger = logging.getLogger(__name__)

KINDS = ("image", "video", "audio")
NOUNS = {"image": "picture", "video": "video", "audio": "audio file"}
MB = 1024 * 1024


@dataclass(frozen=True)
class ValidatedUpload:
    """What passed the checks. `content` is what to store, named `<original stem>.<extension>`:
    for pictures a ContentFile of the re-encoded bytes; for video and audio the upload itself,
    rewound, behind the same File interface (read, seek, chunks), so up to 500 MB is never
    copied into memory. It lives as long as the upload: store it before the request ends."""

    kind: str  # "image" | "video" | "audio"
    extension: str  # canonical, told from the content
    content: File  # ContentFile for pictures
    width: int | None
    height: int | None
    duration_s: float | None
    size_bytes: int  # of `content`


# --- Formats we take ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PictureFormat:
    # The format's own Pillow class, not Image.open: Image.open's bomb check would refuse a
    # huge picture before we could tell the creator its size; our limits are stricter anyway.
    opener: Callable[[io.BytesIO], ImageFile.ImageFile]
    extension: str
    save_format: str
    save_options: dict = field(default_factory=dict)
    # JPEG decodes at a half, quarter or eighth of its size (Pillow's draft): a 50-megapixel
    # photo then costs what a 12-megapixel one does. Other formats decode whole.
    reduced_decoding: bool = False


@dataclass(frozen=True)
class MediaFormat:
    demuxer: str  # FFmpeg's name for it, so decoding never guesses the format from the name
    video_extension: str = ""  # "" when this container cannot be a video we take
    audio_extension: str = ""  # "" when it cannot be an audio file we take
    # The header states the length and where each packet is: packets ending early mean the
    # file was cut short. (An MP3's or WAV's length is only estimated from its size.)
    indexed: bool = False

    @property
    def kinds(self) -> tuple[str, ...]:
        return (("video",) if self.video_extension else ()) + (
            ("audio",) if self.audio_extension else ()
        )


# Keyed by `filetype`'s name for what the first bytes show. GIFs are stored as PNG (first frame).
PICTURE_FORMATS = {
    "jpg": PictureFormat(
        JpegImagePlugin.JpegImageFile, "jpg", "JPEG", {"quality": 90}, reduced_decoding=True
    ),
    "png": PictureFormat(PngImagePlugin.PngImageFile, "png", "PNG"),
    "apng": PictureFormat(PngImagePlugin.PngImageFile, "png", "PNG"),
    "gif": PictureFormat(GifImagePlugin.GifImageFile, "png", "PNG"),
    "webp": PictureFormat(WebPImagePlugin.WebPImageFile, "webp", "WEBP", {"quality": 90}),
}
# An MP4 or MOV with sound but no picture is music, stored as M4A; iTunes-style M4A files
# are sound only (their cover art shows up as a picture stream).
MEDIA_FORMATS = {
    "mp4": MediaFormat("mov", video_extension="mp4", audio_extension="m4a", indexed=True),
    "m4v": MediaFormat("mov", video_extension="mp4", audio_extension="m4a", indexed=True),
    "mov": MediaFormat("mov", video_extension="mov", audio_extension="m4a", indexed=True),
    "m4a": MediaFormat("mov", audio_extension="m4a", indexed=True),
    "webm": MediaFormat("matroska", video_extension="webm", indexed=True),
    "mkv": MediaFormat("matroska", video_extension="mkv", indexed=True),
    "avi": MediaFormat("avi", video_extension="avi"),
    "mp3": MediaFormat("mp3", audio_extension="mp3"),
    "wav": MediaFormat("wav", audio_extension="wav"),
    "ogg": MediaFormat("ogg", audio_extension="ogg"),
    "flac": MediaFormat("flac", audio_extension="flac"),
}

# --- Other content hidden inside ----------------------------------------------------------------

# Browsers sniff markup near the start, ZIP readers look at the end: both windows are searched.
SCAN_WINDOW_BYTES = 8192
WINDOW_MARKERS = re.compile(
    rb"<script|<html|<!doctype html|<body|<iframe|<\?php|<svg|%PDF-|PK\x03\x04|javascript:",
    re.IGNORECASE,
)
# Pictures (at most 10 MB) are searched whole, but only for markers long or rare enough that
# compressed pixels do not produce them by chance: PHP runs wherever it sits in a file.
PICTURE_MARKERS = re.compile(rb"<script|<iframe|<\?php|%PDF-", re.IGNORECASE)


def _refuse_hidden_content(head: bytes, tail: bytes, zip_source, *, whole: bytes = b"") -> None:
    """ValidationError when the file also carries another format's content."""
    found = ""
    for data, markers in ((head, WINDOW_MARKERS), (tail, WINDOW_MARKERS), (whole, PICTURE_MARKERS)):
        if match := markers.search(data):
            found = f"marker {match.group()!r}"
            break
    # A ZIP (or JAR) appended to a picture opens in any ZIP reader, which finds it from its end.
    if not found and zipfile.is_zipfile(zip_source):
        found = "a ZIP archive's directory at the end"
    if found:
        raise _refusal(
            "This file hides other content inside it and was refused.", "hidden_content", found
        )


# --- Naming what we refuse ----------------------------------------------------------------------

DESCRIPTIONS = {
    "zip": "a ZIP archive",
    "rar": "a RAR archive",
    "7z": "a 7-Zip archive",
    "gz": "a compressed archive",
    "tar": "a TAR archive",
    "pdf": "a PDF document",
    "exe": "a Windows program",
    "elf": "a program",
}


def _looks_like(head: bytes) -> str:
    """What an unusable file seems to be, in words, or "" when it is not recognisable."""
    guess = filetype.guess(head)
    if guess is not None:
        if guess.extension in DESCRIPTIONS:
            return DESCRIPTIONS[guess.extension]
        family = guess.mime.partition("/")[0]
        noun = NOUNS.get(family, "file")
        name = guess.extension.upper()
        return f"{'an' if name[0] in 'AEFHILMNORSX' else 'a'} {name} {noun}"
    start = head[:1024].lower()
    if b"<svg" in start:
        return "an SVG drawing"
    if b"<html" in start or b"<!doctype html" in start:
        return "a web page"
    if b"<?php" in start:
        return "a PHP script"
    if head.isascii() and b"\x00" not in head:
        return "a text file"
    return ""


def _either(kinds: Iterable[str]) -> str:
    """The kinds as one phrase: 'a picture, video or audio file' for all three."""
    listed = _listed([NOUNS[kind] for kind in kinds])
    return ("an " if listed[0] in "aeiou" else "a ") + listed


def _plural(kinds: Iterable[str]) -> str:
    return _listed([NOUNS[kind] + "s" for kind in kinds])


def _listed(nouns: list[str]) -> str:
    return nouns[0] if len(nouns) == 1 else ", ".join(nouns[:-1]) + " or " + nouns[-1]


def _megabytes(size_bytes: int) -> str:
    return f"{size_bytes / MB:.1f} MB"


def _duration_text(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} seconds"


def _refusal(message: str, code: str, detail: str = "") -> ValidationError:
    logger.info("upload refused (%s): %s %s", code, message, detail)
    return ValidationError(message, code=code)


# --- The validator ------------------------------------------------------------------------------


class ContentValidator:
    MAX_VIDEO_SIZE = 500 * MB
    MAX_AUDIO_SIZE = 50 * MB
    MAX_IMAGE_SIZE = 10 * MB
    MIN_IMAGE_SIDE_PX = 64
    MAX_IMAGE_SIDE_PX = 8192
    MAX_IMAGE_PIXELS = 50_000_000  # JPEG, decoded reduced
    # Formats decoded whole: an 8000 × 6200 PNG of 145 KB took 380 MB and seconds to decode.
    MAX_FULL_DECODE_PIXELS = 4096 * 4096
    # Videos are at most 1080p: a stored picture larger than this would never be seen.
    STORED_IMAGE_SIDE_PX = 4096
    MAX_VIDEO_SIDE_PX = 4096
    MAX_VIDEO_DURATION_S = 10 * 60
    MAX_AUDIO_DURATION_S = 15 * 60
    MIN_AUDIO_DURATION_S = 0.2
    DECODE_TIMEOUT_S = 60
    # An indexed file (MP4, MOV, MKV) may end this much before its header's length, or 2%.
    INCOMPLETE_TOLERANCE_S = 1.0

    def max_size_bytes(self, kind: str) -> int:
        return {
            "image": self.MAX_IMAGE_SIZE,
            "video": self.MAX_VIDEO_SIZE,
            "audio": self.MAX_AUDIO_SIZE,
        }[kind]

    def validate(self, upload: UploadedFile, *, allowed_kinds=KINDS) -> ValidatedUpload:
        """The upload checked by its content, or ValidationError with a message for the creator.

        Refused: anything over its kind's size limit (known from `upload.size`, before the file
        is read), formats we do not take, files carrying another format's content, pictures or
        videos outside the size and length limits, and anything that does not decode.
        """
        allowed = tuple(kind for kind in KINDS if kind in allowed_kinds)
        if not allowed:
            raise ValueError(f"allowed_kinds names none of {KINDS}: {allowed_kinds!r}")
        if not upload.size:
            raise _refusal("This file is empty.", "empty")
        upload.seek(0)
        head = upload.read(SCAN_WINDOW_BYTES)
        guess = filetype.guess(head)
        extension = guess.extension if guess else ""
        picture_format = PICTURE_FORMATS.get(extension)
        media_format = MEDIA_FORMATS.get(extension)
        if picture_format is None and media_format is None:
            looks_like = _looks_like(head)
            raise _refusal(
                f"This file isn't {_either(allowed)} we can read"
                + (f" (it looks like {looks_like})." if looks_like else "."),
                "unsupported",
                f"name={upload.name!r} detected={extension or None}",
            )
        kinds = ("image",) if picture_format else media_format.kinds
        candidates = [kind for kind in kinds if kind in allowed]
        if not candidates:
            raise self._not_allowed(kinds[0], allowed)
        self._check_size(upload.size, max(candidates, key=self.max_size_bytes))
        if picture_format:
            return self._validate_picture(upload, picture_format)
        return self._validate_media(upload, media_format, allowed)

    def _not_allowed(self, kind: str, allowed: tuple[str, ...]) -> ValidationError:
        return _refusal(
            f"This file is {_either([kind])}; only {_plural(allowed)} can be used here.",
            "kind_not_allowed",
        )

    def _check_size(self, size_bytes: int, kind: str) -> None:
        limit = self.max_size_bytes(kind)
        if size_bytes > limit:
            raise _refusal(
                f"This file is {_megabytes(size_bytes)}; {_plural([kind])} can be at most "
                f"{limit / MB:g} MB.",
                "too_large",
            )

    # --- Pictures ---

    def _validate_picture(
        self, upload: UploadedFile, picture_format: PictureFormat
    ) -> ValidatedUpload:
        upload.seek(0)
        data = upload.read(self.MAX_IMAGE_SIZE + 1)
        self._check_size(len(data), "image")  # the bytes decide, whatever `size` said
        _refuse_hidden_content(
            data[:SCAN_WINDOW_BYTES], data[-SCAN_WINDOW_BYTES:], io.BytesIO(data), whole=data
        )
        (width, height), encoded = self._clean_picture(data, picture_format)
        return ValidatedUpload(
            kind="image",
            extension=picture_format.extension,
            content=ContentFile(encoded, name=_stored_name(upload, picture_format.extension)),
            width=width,
            height=height,
            duration_s=None,
            size_bytes=len(encoded),
        )

    def _clean_picture(
        self, data: bytes, picture_format: PictureFormat
    ) -> tuple[tuple[int, int], bytes]:
        """The picture fully decoded, turned upright, in sRGB, re-encoded without metadata."""
        try:
            with warnings.catch_warnings():
                # Pillow's own bomb check still guards a GIF's frames: refuse, do not warn.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                picture = picture_format.opener(io.BytesIO(data))
                self._check_picture_size(*picture.size, picture_format)  # header, not pixels
                if picture_format.reduced_decoding:
                    picture.draft(None, _draft_size(picture.size, self.STORED_IMAGE_SIDE_PX // 2))
                picture.load()
            clean = _upright_srgb(picture)
            clean.thumbnail((self.STORED_IMAGE_SIDE_PX, self.STORED_IMAGE_SIDE_PX))
            output = io.BytesIO()
            clean.save(output, format=picture_format.save_format, **picture_format.save_options)
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise _refusal(
                f"This picture has too many pixels; the most we accept is "
                f"{self.MAX_IMAGE_PIXELS / 1e6:g} megapixels.",
                "dimensions",
                repr(error),
            ) from error
        except Exception as error:  # Pillow's parsers raise many types on hostile input
            raise _refusal(
                "This picture could not be decoded; it may be damaged.", "damaged", repr(error)
            ) from error
        return clean.size, output.getvalue()

    def _check_picture_size(self, width: int, height: int, picture_format: PictureFormat) -> None:
        size = f"This picture is {width} × {height} pixels"
        if max(width, height) > self.MAX_IMAGE_SIDE_PX:
            raise _refusal(
                f"{size}; the most we accept is {self.MAX_IMAGE_SIDE_PX} pixels a side.",
                "dimensions",
            )
        megapixels = f"{size} ({width * height / 1e6:.1f} megapixels)"
        if width * height > self.MAX_IMAGE_PIXELS:
            raise _refusal(
                f"{megapixels}; the most we accept is {self.MAX_IMAGE_PIXELS / 1e6:g} megapixels.",
                "dimensions",
            )
        if not picture_format.reduced_decoding and width * height > self.MAX_FULL_DECODE_PIXELS:
            raise _refusal(
                f"{megapixels}; the most we accept is "
                f"{self.MAX_FULL_DECODE_PIXELS / 1e6:.1f} megapixels for PNG, WebP and GIF "
                f"pictures, or {self.MAX_IMAGE_PIXELS / 1e6:g} for JPEG photos.",
                "dimensions",
            )
        if min(width, height) < self.MIN_IMAGE_SIDE_PX:
            raise _refusal(
                f"{size}; it needs to be at least {self.MIN_IMAGE_SIDE_PX} pixels a side.",
                "dimensions",
            )

    # --- Video and audio ---

    def _validate_media(
        self, upload: UploadedFile, media_format: MediaFormat, allowed: tuple[str, ...]
    ) -> ValidatedUpload:
        # Until its streams are known, an MP4 may be a video or music.
        candidates = [kind for kind in media_format.kinds if kind in allowed]
        noun = NOUNS[candidates[0]] if len(candidates) == 1 else "file"
        with _local_path(upload) as path:
            size_bytes = path.stat().st_size
            head, tail = _windows(path, size_bytes)
            _refuse_hidden_content(head, tail, path)
            try:
                info = probe(path)
            except InvalidInput as error:
                raise _refusal(
                    f"This {noun} could not be decoded; it may be damaged.", "damaged", error.detail
                ) from error
            kind, extension = self._media_kind(media_format, info, allowed)
            self._check_size(size_bytes, kind)
            # Limits apply to the length the packets hold: the header's is only a claim.
            self._check_media_limits(kind, info)  # dimensions, and a header claiming too much
            duration_s = self._measured_duration_s(path, media_format, kind, info)
            self._check_media_limits(kind, replace(info, duration_s=duration_s))
            self._read_through(path, media_format, kind, duration_s)
        upload.seek(0)
        return ValidatedUpload(
            kind=kind,
            extension=extension,
            content=File(upload, name=_stored_name(upload, extension)),
            width=info.width if kind == "video" else None,
            height=info.height if kind == "video" else None,
            duration_s=duration_s,
            size_bytes=size_bytes,
        )

    def _media_kind(
        self, media_format: MediaFormat, info: MediaInfo, allowed: tuple[str, ...]
    ) -> tuple[str, str]:
        if info.has_video and media_format.video_extension:
            kind, extension = "video", media_format.video_extension
        elif info.has_audio and media_format.audio_extension:
            kind, extension = "audio", media_format.audio_extension
        elif media_format.video_extension:
            raise _refusal("This video has no picture in it.", "no_video_stream")
        else:
            raise _refusal("This audio file has no sound in it.", "no_audio_stream")
        if kind not in allowed:
            if kind == "audio" and media_format.video_extension:
                raise _refusal(
                    "This video has sound but no picture, so it can't be used here.",
                    "no_video_stream",
                )
            raise self._not_allowed(kind, allowed)
        return kind, extension

    def _check_media_limits(self, kind: str, info: MediaInfo) -> None:
        if kind == "video":
            if max(info.width, info.height) > self.MAX_VIDEO_SIDE_PX:
                raise _refusal(
                    f"This video is {info.width} × {info.height} pixels; the most we accept is "
                    f"{self.MAX_VIDEO_SIDE_PX} pixels a side.",
                    "dimensions",
                )
            if info.duration_s > self.MAX_VIDEO_DURATION_S:
                raise _refusal(
                    f"This video is {_duration_text(info.duration_s)} long; videos can be at "
                    f"most {self.MAX_VIDEO_DURATION_S // 60} minutes.",
                    "too_long",
                )
            return
        if info.duration_s > self.MAX_AUDIO_DURATION_S:
            raise _refusal(
                f"This audio file is {_duration_text(info.duration_s)} long; audio files can be "
                f"at most {self.MAX_AUDIO_DURATION_S // 60} minutes.",
                "too_long",
            )
        if info.duration_s < self.MIN_AUDIO_DURATION_S:
            raise _refusal(
                f"This audio file is only {info.duration_s:.1f} seconds long; it needs at least "
                f"{self.MIN_AUDIO_DURATION_S:g} seconds of sound.",
                "too_short",
            )

    def _measured_duration_s(
        self, path: Path, media_format: MediaFormat, kind: str, info: MediaInfo
    ) -> float:
        """How long the main streams' packets last, read without decoding (fast: a 500 MB file
        is read once). An 11-minute MP4 whose header says 5 s is 11 minutes here. A file whose
        packets stop well before its header's length (the first half of an MP4) is refused."""
        noun = NOUNS[kind]
        try:
            with av.open(str(path), format=media_format.demuxer) as container:
                streams = (
                    [
                        stream
                        for stream in container.streams.video
                        if not stream.disposition & av.stream.Disposition.attached_pic
                    ][:1]
                    if kind == "video"
                    else []
                )
                streams += list(container.streams.audio)[:1]
                start_s, end_s = None, 0.0
                for packet in container.demux(streams):
                    if packet.pts is None or packet.time_base is None:  # end-of-stream markers
                        continue
                    packet_start_s = float(packet.pts * packet.time_base)
                    packet_end_s = packet_start_s + float((packet.duration or 0) * packet.time_base)
                    start_s = packet_start_s if start_s is None else min(start_s, packet_start_s)
                    end_s = max(end_s, packet_end_s)
        except (av.FFmpegError, OSError, ValueError) as error:
            raise _refusal(
                f"This {noun} could not be decoded; it may be damaged.", "damaged", repr(error)
            ) from error
        measured_s = max(0.0, end_s - (start_s or 0.0))
        if media_format.indexed and info.duration_s - measured_s > max(
            self.INCOMPLETE_TOLERANCE_S, info.duration_s * 0.02
        ):
            raise _refusal(
                f"This {noun} stops after {_duration_text(measured_s)} of the "
                f"{_duration_text(info.duration_s)} it should last; the file looks incomplete. "
                "Upload it again once it has been copied whole.",
                "incomplete",
            )
        return measured_s

    def _read_through(
        self, path: Path, media_format: MediaFormat, kind: str, duration_s: float
    ) -> None:
        """Every packet read, and the first and last second of the main streams decoded:
        headers can look valid over damaged data, and a file cut short is damaged at its end.

        One FFmpeg run with the file opened three times: copied whole to nowhere (reads each
        packet, decodes none), decoded for its first second, decoded from a second before its
        measured end. The demuxer is named and only local files may be opened, so FFmpeg
        neither guesses the format nor follows references inside the file. `V` leaves out
        cover art.
        """
        source = ["-protocol_whitelist", "file", "-f", media_format.demuxer]
        streams = ["0:V:0", "0:a:0?"] if kind == "video" else ["0:a:0"]
        last_second_s = max(0.0, duration_s - 1.0)
        args = [
            "-xerror",
            *source,
            "-i",
            f"file:{path}",
            *source,
            "-t",
            "1",
            "-i",
            f"file:{path}",
            *source,
            "-ss",
            f"{last_second_s:.3f}",
            "-i",
            f"file:{path}",
        ]
        for number, codec in enumerate(["copy", None, None]):
            for stream in streams:
                args += ["-map", stream.replace("0:", f"{number}:", 1)]
            args += (["-c", codec] if codec else []) + ["-f", "null", "-"]
        try:
            run_ffmpeg(
                args, description=f"Reading an uploaded {kind}", timeout_s=self.DECODE_TIMEOUT_S
            )
        except RenderFailed as error:
            raise _refusal(
                f"This {NOUNS[kind]} could not be read to its end; it may be damaged or "
                "incomplete.",
                "damaged",
                error.detail,
            ) from error


# --- Helpers ------------------------------------------------------------------------------------


def _draft_size(size: tuple[int, int], long_side_px: int) -> tuple[int, int]:
    """The size to ask Pillow's draft for: it decodes at the smallest eighth, quarter or half
    that is still at least this large, so the long side stays at least `long_side_px`."""
    scale = min(1.0, long_side_px / max(size))
    return max(1, math.ceil(size[0] * scale)), max(1, math.ceil(size[1] * scale))


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _upright_srgb(picture: Image.Image) -> Image.Image:
    """The picture as it should look, in sRGB RGB or RGBA, with no metadata left to save."""
    icc = picture.info.get("icc_profile")
    # In place and converted only when needed: a 50-megapixel photo is 150 MB a copy.
    upright = ImageOps.exif_transpose(picture, in_place=True) or picture
    target = "RGBA" if upright.has_transparency_data else "RGB"
    if upright.mode.startswith("I"):
        # 16-bit greyscale: converted directly, every value above 255 would turn white.
        upright = upright.convert("I").point(lambda value: value / 256).convert("L")
    if upright.mode in ("1", "P", "PA"):
        upright = upright.convert(target)
    clean = None
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            clean = ImageCms.profileToProfile(upright, source, _srgb_profile(), outputMode=target)
        except (ImageCms.PyCMSError, OSError, ValueError) as error:
            logger.info("colour profile ignored: %r", error)
    clean = clean or (upright if upright.mode == target else upright.convert(target))
    # Encoders copy some of `info` (PNG writes the ICC profile from it): start from nothing.
    clean.info = {}
    return clean


@contextlib.contextmanager
def _local_path(upload: UploadedFile) -> Iterator[Path]:
    """A path FFmpeg can open: the upload's own temporary file, else a copy of it."""
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    with tempfile.NamedTemporaryFile(prefix="upload-") as copy:
        upload.seek(0)
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        yield Path(copy.name)


def _windows(path: Path, size_bytes: int) -> tuple[bytes, bytes]:
    with path.open("rb") as file:
        head = file.read(SCAN_WINDOW_BYTES)
        file.seek(max(0, size_bytes - SCAN_WINDOW_BYTES))
        return head, file.read(SCAN_WINDOW_BYTES)


def _stored_name(upload: UploadedFile, extension: str) -> str:
    # Storage makes the name safe when saving; here it only gets the extension the content has.
    return f"{Path(upload.name or '').stem or 'upload'}.{extension}"


# --- Forms --------------------------------------------------------------------------------------


class ValidatedFileField(forms.FileField):
    """A file field whose cleaned value is a ValidatedUpload (None when left empty).

    Refusals become the field's form errors. An unchanged initial file is returned as it was.
    """

    def __init__(self, *, allowed_kinds=KINDS, validator: ContentValidator | None = None, **kwargs):
        self.allowed_kinds = tuple(allowed_kinds)
        self.validator = validator or ContentValidator()
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # Only narrows the browser's file picker; the content is still what decides.
        attrs.setdefault("accept", ",".join(f"{kind}/*" for kind in self.allowed_kinds))
        return attrs

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            return self.validator.validate(value, allowed_kinds=self.allowed_kinds)
        return value
