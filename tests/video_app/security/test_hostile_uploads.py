"""The hostile upload corpus: every kind of file an attacker (or a broken copy) has sent, each
refused early with the sentence a creator reads. The files are made at test time (the largest
would bloat the repository): FFmpeg for clips, Pillow for pictures, a few bytes for the rest."""

import io
import struct
import time
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from PIL import Image

from tests.video_app.security.test_content_validator import png_declaring
from video_app.engine.core.ffmpeg import run_ffmpeg
from video_app.security.content_validator import ContentValidator

# --- Makers -------------------------------------------------------------------------------------


def picture(size=(320, 200), format="PNG", **save) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, "#2471a3").save(output, format=format, **save)
    return output.getvalue()


def zip_archive() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("evil.jsp", "<% out.println(1); %>")
    return output.getvalue()


def clip(folder: Path, seconds: int, source: str, *, faststart=True) -> bytes:
    path = folder / f"clip-{seconds}-{source[:8]}.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"{source}:d={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=d={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-c:a",
            "aac",
            "-shortest",
            *(["-movflags", "+faststart"] if faststart else []),
            str(path),
        ],
        description="Making a test clip",
        timeout_s=120,
    )
    return path.read_bytes()


def header_durations_set_to(data: bytes, seconds: float) -> bytes:
    """The MP4 with its movie, track and media header durations edited to `seconds` (the
    packets and their index untouched), as an attacker's hex editor would."""
    data = bytearray(data)

    def walk(start: int, end: int, movie_scale: int) -> int:
        at = start
        while at < end:
            size, kind = struct.unpack(">I4s", data[at : at + 8])
            body = at + 8
            if kind == b"mvhd":
                movie_scale = struct.unpack(">I", data[body + 12 : body + 16])[0]
                struct.pack_into(">I", data, body + 16, int(seconds * movie_scale))
            elif kind == b"tkhd":
                struct.pack_into(">I", data, body + 20, int(seconds * movie_scale))
            elif kind == b"mdhd":
                scale = struct.unpack(">I", data[body + 12 : body + 16])[0]
                struct.pack_into(">I", data, body + 16, int(seconds * scale))
            if kind in (b"moov", b"trak", b"mdia"):
                movie_scale = walk(body, at + size, movie_scale)
            at += size
        return movie_scale

    walk(0, len(data), 1000)
    return bytes(data)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    eleven_minutes = clip(folder, 660, "color=c=blue:s=64x64:r=1")
    twenty_seconds = clip(folder, 20, "testsrc2=s=160x120:r=10")
    return {"eleven_minutes": eleven_minutes, "twenty_seconds": twenty_seconds}


# name: (make the file from the clips, a sentence the creator reads)
CORPUS = {
    "11-minute MP4 whose header says 5 s": (
        lambda clips: header_durations_set_to(clips["eleven_minutes"], 5),
        "This video is 11 min 0 s long; videos can be at most 10 minutes.",
    ),
    "first half of an MP4": (
        lambda clips: clips["twenty_seconds"][: len(clips["twenty_seconds"]) // 2],
        "This video stops after 9.8 seconds of the 20.0 seconds it should last; the file "
        "looks incomplete.",
    ),
    "first half of an MP4 whose header was shortened to match": (
        lambda clips: header_durations_set_to(
            clips["twenty_seconds"][: len(clips["twenty_seconds"]) // 2], 9
        ),
        "This video could not be read to its end; it may be damaged or incomplete.",
    ),
    "8000 × 6200 PNG of 150 KB": (
        lambda clips: picture((8000, 6200)),
        "This picture is 8000 × 6200 pixels (49.6 megapixels); the most we accept is 16.8 "
        "megapixels for PNG, WebP and GIF pictures, or 50 for JPEG photos.",
    ),
    "PNG header claiming 100000 × 100000": (
        lambda clips: png_declaring(100_000, 100_000),
        "This picture is 100000 × 100000 pixels; the most we accept is 8192 pixels a side.",
    ),
    "JPEG of 60 megapixels": (
        lambda clips: picture((8000, 7500), "JPEG", quality=30),
        "This picture is 8000 × 7500 pixels (60.0 megapixels); the most we accept is 50 "
        "megapixels.",
    ),
    "picture 10 pixels wide": (
        lambda clips: picture((10, 200)),
        "This picture is 10 × 200 pixels; it needs to be at least 64 pixels a side.",
    ),
    "empty file": (lambda clips: b"", "This file is empty."),
    "text named like a picture": (
        lambda clips: b"just some words\n",
        "This file isn't a picture or video we can read (it looks like a text file).",
    ),
    "ZIP archive": (
        lambda clips: zip_archive(),
        "This file isn't a picture or video we can read (it looks like a ZIP archive).",
    ),
    "PDF document": (
        lambda clips: b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        "This file isn't a picture or video we can read (it looks like a PDF document).",
    ),
    "program": (
        lambda clips: b"\x7fELF\x02\x01\x01" + b"\x00" * 200,
        "This file isn't a picture or video we can read (it looks like a program).",
    ),
    "SVG drawing with a script": (
        lambda clips: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "This file isn't a picture or video we can read (it looks like an SVG drawing).",
    ),
    "PNG with PHP inside": (
        lambda clips: picture() + b"<?php system($_GET['c']); ?>",
        "This file hides other content inside it and was refused.",
    ),
    "PNG with a ZIP appended": (
        lambda clips: picture() + zip_archive(),
        "This file hides other content inside it and was refused.",
    ),
    "PNG cut in half": (
        lambda clips: picture((640, 480))[: len(picture((640, 480))) // 2],
        "This picture could not be decoded; it may be damaged.",
    ),
    "MP4 whose second half is zeros": (
        lambda clips: (
            clips["twenty_seconds"][: len(clips["twenty_seconds"]) // 2]
            + bytes(len(clips["twenty_seconds"]) - len(clips["twenty_seconds"]) // 2)
        ),
        "This video could not be read to its end; it may be damaged or incomplete.",
    ),
}


@pytest.mark.parametrize("case", CORPUS, ids=list(CORPUS))
def test_it_refuses_each_hostile_upload_early_with_a_sentence(case, clips):
    make, sentence = CORPUS[case]
    data = make(clips)
    upload = TemporaryUploadedFile("upload.mp4", "video/mp4", len(data), None)
    upload.write(data)
    upload.seek(0)

    started = time.monotonic()
    with pytest.raises(ValidationError) as refused:
        ContentValidator().validate(upload, allowed_kinds=("image", "video"))

    assert sentence in refused.value.messages[0]
    assert time.monotonic() - started < 10  # early: nothing is decoded whole
