"""Uploads are judged by their content: real pictures, clips and sounds made on the spot, and the
hostile files a creator's account could be used to send."""

import io
import struct
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import (
    InMemoryUploadedFile,
    SimpleUploadedFile,
    TemporaryUploadedFile,
)
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo

from video_app.engine.core.ffmpeg import run_ffmpeg
from video_app.security.content_validator import (
    ContentValidator,
    ValidatedFileField,
    ValidatedUpload,
)

MB = 1024 * 1024


# --- Files to upload ----------------------------------------------------------------------------


def upload(data: bytes, name: str = "upload.bin") -> SimpleUploadedFile:
    # The browser's content type is deliberately wrong: it must not matter.
    return SimpleUploadedFile(name, data, content_type="text/plain")


def temporary_upload(data: bytes, name: str) -> TemporaryUploadedFile:
    file = TemporaryUploadedFile(name, "text/plain", len(data), None)
    file.write(data)
    file.seek(0)
    return file


def claiming_size(data: bytes, size_bytes: int, name: str) -> InMemoryUploadedFile:
    """An upload whose size says more than it holds, so limits are tested without writing GBs."""
    return InMemoryUploadedFile(io.BytesIO(data), "file", name, "text/plain", size_bytes, None)


def picture(size=(320, 200), mode="RGB", format="PNG", **save) -> bytes:
    """Blue, with a yellow block in the top-left corner to tell which way up it is."""
    image = Image.new(mode, size, "#2471a3")
    image.paste("#f1c40f", (0, 0, size[0] // 4, size[1] // 4))
    output = io.BytesIO()
    image.save(output, format=format, **save)
    return output.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims `width` × `height` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 256))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Clips and sounds made by FFmpeg on first use, shared by the tests of this module."""
    folder = tmp_path_factory.mktemp("media")
    made: dict[str, bytes] = {}
    recipes = {
        "clip.mp4": [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=10",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "1.5",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-movflags",
            "+faststart",
        ],
        "clip.mov": [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=10",
            "-t",
            "1.5",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ],
        "clip.webm": [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=10",
            "-t",
            "1.5",
            "-c:v",
            "libvpx",
            "-b:v",
            "200k",
        ],
        "clip.mkv": [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=10",
            "-t",
            "1.5",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ],
        "clip.avi": [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=10",
            "-t",
            "1.5",
            "-c:v",
            "mjpeg",
        ],
        "long.mp4": [
            "-f",
            "lavfi",
            "-i",
            "color=size=64x64:rate=1",
            "-t",
            "601",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ],
        "wide.mp4": [
            "-f",
            "lavfi",
            "-i",
            "color=size=4112x16:rate=1",
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ],
        "sound-only.mp4": ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1.5", "-c:a", "aac"],
        "sound-only.webm": [
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "1.5",
            "-c:a",
            "libopus",
        ],
        "picture-only.m4a": [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=10",
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-f",
            "mp4",
            "-brand",
            "M4A ",
        ],
        "song.mp3": ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1.5"],
        "song.wav": ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1.5"],
        "song.m4a": ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1.5", "-c:a", "aac"],
        "song.ogg": ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1.5", "-c:a", "libopus"],
        "song.flac": ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "1.5"],
        "blip.wav": ["-f", "lavfi", "-i", "sine=frequency=440", "-t", "0.1"],
    }

    def make(name: str) -> bytes:
        if name not in made:
            path = folder / name
            run_ffmpeg([*recipes[name], str(path)], description=f"test {name}", timeout_s=60)
            made[name] = path.read_bytes()
        return made[name]

    return make


def validate(file, **options) -> ValidatedUpload:
    return ContentValidator().validate(file, **options)


def refusal(file, **options) -> str:
    with pytest.raises(ValidationError) as refused:
        validate(file, **options)
    return refused.value.messages[0]


def reopened(result: ValidatedUpload) -> Image.Image:
    result.content.seek(0)
    return Image.open(io.BytesIO(result.content.read()))


# --- Pictures -----------------------------------------------------------------------------------


def test_it_strips_location_and_other_metadata_from_a_photo():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 30.0)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Alice Example</dc:creator></x:xmpmeta>'
    photo = picture(format="JPEG", exif=exif, xmp=xmp)
    assert b"PhoneMaker" in photo and b"Alice Example" in photo

    result = validate(upload(photo, "holiday.jpg"))

    stored = result.content.read()
    assert (result.kind, result.extension, result.content.name) == ("image", "jpg", "holiday.jpg")
    assert (result.width, result.height, result.size_bytes) == (320, 200, len(stored))
    assert b"PhoneMaker" not in stored and b"Alice Example" not in stored
    assert b"Exif" not in stored
    assert not reopened(result).getexif()


def test_it_turns_a_photo_upright_as_its_camera_recorded():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # held sideways: shown rotated a quarter turn
    result = validate(upload(picture(size=(320, 200), format="JPEG", exif=exif)))

    upright = reopened(result).convert("RGB")
    assert (result.width, result.height) == upright.size == (200, 320)
    # A quarter turn clockwise moves the top-left corner to the top right.
    assert upright.getpixel((190, 10)) == pytest.approx((241, 196, 15), abs=8)


def test_it_converts_pictures_to_srgb_without_colour_profile_or_text():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    info = PngInfo()
    info.add_text("Author", "Alice Example")
    with_alpha = picture(mode="RGBA", icc_profile=profile, pnginfo=info)
    assert b"iCCP" in with_alpha and b"Alice Example" in with_alpha

    result = validate(upload(with_alpha))

    stored = result.content.read()
    assert result.extension == "png"
    assert reopened(result).mode == "RGBA"
    assert b"iCCP" not in stored and b"tEXt" not in stored and b"Alice Example" not in stored


def test_it_keeps_the_grey_levels_of_a_16_bit_picture():
    grey = Image.new("I;16", (100, 100), 32768)
    output = io.BytesIO()
    grey.save(output, format="PNG")

    result = validate(upload(output.getvalue()))

    assert reopened(result).convert("L").getpixel((50, 50)) == 128


def test_it_keeps_only_the_first_frame_of_an_animated_gif():
    frames = [Image.new("RGB", (100, 80), colour) for colour in ("red", "green", "blue")]
    output = io.BytesIO()
    frames[0].save(output, format="GIF", save_all=True, append_images=frames[1:], duration=100)

    result = validate(upload(output.getvalue(), "dance.gif"))

    assert (result.extension, result.content.name) == ("png", "dance.png")
    assert getattr(reopened(result), "n_frames", 1) == 1
    assert reopened(result).convert("RGB").getpixel((50, 40)) == (255, 0, 0)


def test_it_accepts_webp_pictures():
    result = validate(upload(picture(format="WEBP")))

    assert (result.kind, result.extension) == ("image", "webp")
    assert reopened(result).format == "WEBP"


def test_it_refuses_a_tiny_file_declaring_a_huge_picture_without_decoding_it():
    started = time.perf_counter()

    message = refusal(upload(png_declaring(30000, 30000), "small.png"))

    assert message == (
        "This picture is 30000 × 30000 pixels; the most we accept is 8192 pixels a side."
    )
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    ("size", "message"),
    [
        (
            (8000, 7000),
            "This picture is 8000 × 7000 pixels (56.0 megapixels); "
            "the most we accept is 50 megapixels.",
        ),
        ((40, 300), "This picture is 40 × 300 pixels; it needs to be at least 64 pixels a side."),
    ],
)
def test_it_refuses_pictures_with_too_many_or_too_few_pixels(size, message):
    assert refusal(upload(png_declaring(*size))) == message


def test_it_refuses_a_truncated_picture():
    photo = picture(size=(640, 480), format="JPEG")

    assert refusal(upload(photo[: len(photo) // 2], "photo.jpg")) == (
        "This picture could not be decoded; it may be damaged."
    )


# --- Content that is not what it claims ---------------------------------------------------------


def zip_archive() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("Payload.class", b"\xca\xfe\xba\xbe" + b"\x00" * 64)
    return output.getvalue()


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(zip_archive(), id="zip appended"),
        pytest.param(b"<html><script>alert(document.cookie)</script></html>", id="html appended"),
        pytest.param(b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\n%%EOF", id="pdf appended"),
    ],
)
def test_it_refuses_a_picture_with_another_file_appended(payload):
    polyglot = picture(size=(640, 480), format="JPEG") + payload

    assert refusal(upload(polyglot, "photo.jpg")) == (
        "This file hides other content inside it and was refused."
    )


def test_it_refuses_a_picture_with_a_script_in_its_metadata():
    info = PngInfo()
    info.add_text("Comment", "<?php system($_GET['c']); ?>")
    padding = Image.effect_noise((400, 400), 64).convert("RGB")  # pushes the chunk out of view
    output = io.BytesIO()
    padding.save(output, format="PNG", pnginfo=info)

    assert refusal(upload(output.getvalue())) == (
        "This file hides other content inside it and was refused."
    )


def test_it_refuses_a_video_carrying_a_zip_archive(media):
    assert refusal(upload(media("clip.mp4") + zip_archive(), "clip.mp4")) == (
        "This file hides other content inside it and was refused."
    )


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "a web page"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "an SVG drawing",
        ),
        (zip_archive(), "a ZIP archive"),
        (b"%PDF-1.7\n%%EOF", "a PDF document"),
    ],
)
def test_it_names_what_a_file_looks_like_when_refusing_it(data, looks_like):
    assert refusal(upload(data, "photo.jpg")) == (
        f"This file isn't a picture, video or audio file we can read (it looks like {looks_like})."
    )


def test_it_refuses_a_file_it_cannot_recognise_at_all():
    assert refusal(upload(bytes(range(256)) * 4, "song.mp3"), allowed_kinds=("audio",)) == (
        "This file isn't an audio file we can read."
    )


# --- Sizes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "size_bytes", "message"),
    [
        (
            picture(format="JPEG"),
            int(12.3 * MB),
            "This file is 12.3 MB; pictures can be at most 10 MB.",
        ),
        ("clip.mp4", 600 * MB, "This file is 600.0 MB; videos can be at most 500 MB."),
        ("song.mp3", 60 * MB, "This file is 60.0 MB; audio files can be at most 50 MB."),
    ],
)
def test_it_refuses_files_over_their_kind_s_size_limit_before_reading_them(
    media, start, size_bytes, message
):
    head = media(start)[:8192] if isinstance(start, str) else start

    assert refusal(claiming_size(head, size_bytes, "big.bin")) == message


def test_it_holds_sound_found_in_an_mp4_to_the_audio_size_limit(media):
    # Which limit applies is only known once the streams are: the 500 MB of videos let it in.
    validator = ContentValidator()
    validator.MAX_AUDIO_SIZE = 1024

    with pytest.raises(ValidationError) as refused:
        validator.validate(upload(media("sound-only.mp4")))

    assert refused.value.error_list[0].code == "too_large"
    assert "audio files can be at most" in refused.value.messages[0]


def test_it_refuses_an_empty_file():
    assert refusal(claiming_size(b"", 0, "empty.jpg")) == "This file is empty."


# --- Video --------------------------------------------------------------------------------------


@pytest.mark.parametrize("make_upload", [upload, temporary_upload])
def test_it_accepts_a_short_video_as_uploaded(media, make_upload):
    clip = media("clip.mp4")

    result = validate(make_upload(clip, "clip.mp4"))

    assert (result.kind, result.extension, result.content.name) == ("video", "mp4", "clip.mp4")
    assert (result.width, result.height, result.size_bytes) == (160, 90, len(clip))
    assert result.duration_s == pytest.approx(1.5, abs=0.1)
    assert result.content.read() == clip


def test_it_ignores_the_name_a_video_was_uploaded_under(media):
    result = validate(upload(media("clip.mp4"), "holiday.png"))

    assert (result.kind, result.extension, result.content.name) == ("video", "mp4", "holiday.mp4")


@pytest.mark.parametrize("extension", ["mov", "webm", "mkv", "avi"])
def test_it_accepts_the_other_video_formats(media, extension):
    result = validate(upload(media(f"clip.{extension}")))

    assert (result.kind, result.extension, result.width) == ("video", extension, 160)


def test_it_refuses_a_video_longer_than_ten_minutes(media):
    assert refusal(upload(media("long.mp4"))) == (
        "This video is 10 min 1 s long; videos can be at most 10 minutes."
    )


def test_it_refuses_a_video_wider_than_4096_pixels(media):
    assert refusal(upload(media("wide.mp4"))) == (
        "This video is 4112 × 16 pixels; the most we accept is 4096 pixels a side."
    )


def test_it_refuses_a_video_that_is_damaged_after_its_header(media):
    clip = bytearray(media("clip.mp4"))
    middle = len(clip) // 2
    clip[middle - 4000 : middle + 4000] = bytes(range(250)) * 32

    assert refusal(upload(bytes(clip))) == (
        "This video could not be read to its end; it may be damaged or incomplete."
    )


def test_it_refuses_a_video_cut_short(media):
    clip = media("clip.mov")  # its index sits at the end, so half the file has none

    assert refusal(upload(clip[: len(clip) // 2]), allowed_kinds=("video",)) == (
        "This video could not be decoded; it may be damaged."
    )


def test_it_refuses_a_video_without_a_picture(media):
    assert refusal(upload(media("sound-only.webm"))) == "This video has no picture in it."


# --- Audio --------------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["mp3", "wav", "m4a", "ogg", "flac"])
def test_it_accepts_music_in_each_format(media, extension):
    result = validate(upload(media(f"song.{extension}"), "song.bin"))

    assert (result.kind, result.extension) == ("audio", extension)
    assert result.content.name == f"song.{extension}"
    assert (result.width, result.height) == (None, None)
    assert result.duration_s == pytest.approx(1.5, abs=0.1)


def test_it_takes_an_mp4_with_only_sound_as_audio_but_not_as_a_video(media):
    sound_only = media("sound-only.mp4")

    assert validate(upload(sound_only)).extension == "m4a"
    assert validate(upload(sound_only), allowed_kinds=("audio",)).kind == "audio"
    assert refusal(upload(sound_only), allowed_kinds=("video",)) == (
        "This video has sound but no picture, so it can't be used here."
    )


def test_it_refuses_an_audio_file_without_sound(media):
    assert refusal(upload(media("picture-only.m4a"))) == "This audio file has no sound in it."


def test_it_refuses_a_sound_shorter_than_a_fifth_of_a_second(media):
    assert refusal(upload(media("blip.wav"))) == (
        "This audio file is only 0.1 seconds long; it needs at least 0.2 seconds of sound."
    )


def test_it_refuses_a_kind_the_caller_did_not_allow(media):
    assert refusal(upload(picture()), allowed_kinds=("video",)) == (
        "This file is a picture; only videos can be used here."
    )
    assert refusal(upload(media("song.mp3")), allowed_kinds=("image", "video")) == (
        "This file is an audio file; only pictures or videos can be used here."
    )


# --- The form field -----------------------------------------------------------------------------


class MusicForm(forms.Form):
    music = ValidatedFileField(allowed_kinds=("audio",))
    cover = ValidatedFileField(allowed_kinds=("image",), required=False)


def test_it_gives_forms_the_validated_upload(media):
    form = MusicForm(data={}, files={"music": upload(media("song.mp3"), "theme.mp3")})

    assert form.is_valid(), form.errors
    assert isinstance(form.cleaned_data["music"], ValidatedUpload)
    assert form.cleaned_data["music"].extension == "mp3"
    assert form.cleaned_data["cover"] is None


def test_it_shows_refusals_as_form_errors():
    form = MusicForm(data={}, files={"music": upload(picture(), "theme.mp3")})

    assert not form.is_valid()
    assert form.errors["music"] == ["This file is a picture; only audio files can be used here."]


def test_it_narrows_the_browser_s_file_picker_to_the_allowed_kinds():
    assert 'accept="audio/*"' in str(MusicForm()["music"])


def test_it_removes_its_copy_of_an_upload_held_in_memory(media):
    before = set(Path(tempfile.gettempdir()).glob("upload-*"))

    validate(upload(media("song.wav")))

    assert set(Path(tempfile.gettempdir()).glob("upload-*")) == before
