"""Platform exports are real files a platform accepts: the right size, rate, length and codecs,
moov first, captions and a thumbnail beside them; a master that already fits is not re-encoded."""

import dataclasses
import hashlib
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from tests.video_app.engine.export.test_reframe import bright_box_faces, moving_box_video
from tests.video_app.engine.viewer import frame_at, loudness
from video_app.engine import export
from video_app.engine.core.cues import Cue, srt_text, vtt_text
from video_app.engine.core.errors import InvalidInput, RenderFailed
from video_app.engine.core.ffmpeg import probe, run_ffmpeg
from video_app.engine.core.types import WordTiming
from video_app.engine.export import (
    PLATFORM_SPECS,
    export_for_platform,
    export_for_platforms,
    get_platform,
    reframe,
)

# Real FFmpeg encodes for every platform.
pytestmark = pytest.mark.slow

# A 440 Hz sine on both channels this far below full scale measures about -14 LUFS.
TARGET_TONE_DB = -13.3


def master(path: Path, *, size=(640, 360), seconds=2, fps=30, tone_db=TARGET_TONE_DB) -> Path:
    """A master as the renderer writes one: H.264 High 4:2:0, AAC 48 kHz stereo, moov first.
    `tone_db=None` makes it silent (quick to encode, for long masters)."""
    if tone_db is None:
        sound = f"anullsrc=r=48000:cl=stereo:d={seconds}"
    else:
        amplitude = 10 ** (tone_db / 20)
        sound = f"aevalsrc=exprs={amplitude:.4f}*sin(2*PI*440*t):s=48000:c=stereo:d={seconds}"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=s={size[0]}x{size[1]}:r={fps}:d={seconds}",
            "-f",
            "lavfi",
            "-i",
            sound,
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
            "-g",
            str(max(1, fps // 2)),
            "-c:a",
            "aac",
            "-aac_coder",
            "fast",
            "-b:a",
            "384k",
            "-ar",
            "48000",
            "-ac",
            "2",
            "-movflags",
            "+faststart",
            str(path),
        ],
        description="test master",
        timeout_s=120,
    )
    return path


def cue(text: str, start_s: float, end_s: float) -> Cue:
    words = text.split()
    step = (end_s - start_s) / len(words)
    timings = tuple(
        WordTiming(word, start_s + index * step, start_s + (index + 1) * step)
        for index, word in enumerate(words)
    )
    return Cue(start_s, end_s, timings)


def top_level_boxes(path: Path) -> dict[str, tuple[int, int]]:
    """The MP4's top-level boxes in file order: type -> (offset, size)."""
    boxes = {}
    with open(path, "rb") as handle:
        while header := handle.read(8):
            offset = handle.tell() - 8
            size, kind = struct.unpack(">I4s", header)
            if size == 1:  # a 64-bit size follows
                size = struct.unpack(">Q", handle.read(8))[0]
            elif size == 0:  # runs to the end of the file
                size = path.stat().st_size - offset
            boxes[kind.decode("latin-1")] = (offset, size)
            handle.seek(offset + size)
    return boxes


def packet_digests(path: Path, kind: str) -> list[str]:
    with av.open(str(path)) as container:
        stream = getattr(container.streams, kind)[0]
        return [
            hashlib.sha256(bytes(packet)).hexdigest()
            for packet in container.demux(stream)
            if packet.size
        ]


def bright_centre_x(rgb: np.ndarray) -> float:
    """Where the white square is across the picture, in 0..1."""
    columns = np.nonzero((rgb.min(axis=2) > 200).any(axis=0))[0]
    assert len(columns), "the square is not in the picture"
    return (columns.min() + columns.max()) / 2 / rgb.shape[1]


CUES = (cue("Hello and welcome.", 0.2, 0.9), cue("This is <the> test & more.", 1.1, 1.9))


@pytest.fixture(scope="module")
def parallel_exports(tmp_path_factory):
    """One loud 16:9 master exported for three platforms at once: scaled, and reframed twice."""
    work = tmp_path_factory.mktemp("parallel")
    loud_master = master(work / "master.mp4", tone_db=-3)
    reports = []
    results = export_for_platforms(
        loud_master,
        ["youtube", "tiktok", "instagram_square"],
        work / "out",
        cues=CUES,
        on_progress=lambda fraction, message: reports.append((fraction, message)),
    )
    return results, reports


@pytest.fixture(scope="module")
def fitting_master(tmp_path_factory):
    return master(tmp_path_factory.mktemp("fitting") / "talk.mp4", size=(1920, 1080), seconds=2)


def test_it_exports_every_platform_at_its_own_size_and_encoding(parallel_exports):
    results, _ = parallel_exports

    assert sorted(results) == ["instagram_square", "tiktok", "youtube"]
    for name, result in results.items():
        spec = PLATFORM_SPECS[name]
        info = probe(result.path)
        assert (info.video_codec, info.video_profile, info.pix_fmt) == ("h264", "High", "yuv420p")
        assert (info.width, info.height, info.fps) == (spec.width, spec.height, 30)
        assert (result.width, result.height) == (spec.width, spec.height)
        assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, 2)
        assert abs(info.duration_s - 2.0) < 0.1 and not result.trimmed
        assert result.path.name == f"master.{name}.mp4"


def test_it_lays_out_the_mp4_as_youtube_asks(parallel_exports, fitting_master, tmp_path):
    remuxed = export_for_platform(fitting_master, "youtube", tmp_path).path
    for path in [remuxed, *(result.path for result in parallel_exports[0].values())]:
        boxes = top_level_boxes(path)
        moov_at, moov_size = boxes["moov"]

        assert moov_at < boxes["mdat"][0], f"{path.name}: {boxes}"
        assert b"elst" not in path.read_bytes()[moov_at : moov_at + moov_size], "an edit list"
        with av.open(str(path)) as container:
            assert next(container.decode(video=0)).time == 0.0


def test_it_brings_the_loudness_to_the_platform_target(parallel_exports):
    levels = loudness(parallel_exports[0]["youtube"].path)

    assert -15.0 <= levels["integrated_lufs"] <= -13.0
    assert levels["true_peak_db"] <= -1.0


def test_it_writes_captions_beside_each_video(parallel_exports):
    for result in parallel_exports[0].values():
        assert result.srt_path == result.path.with_suffix(".srt")
        assert result.srt_path.read_text(encoding="utf-8") == srt_text(CUES)
        assert result.vtt_path.read_text(encoding="utf-8") == vtt_text(CUES)
        assert "&lt;the&gt; test &amp; more." in result.vtt_path.read_text(encoding="utf-8")


def test_it_writes_a_jpeg_thumbnail_at_the_platform_size(parallel_exports):
    for name, result in parallel_exports[0].items():
        spec = PLATFORM_SPECS[name]
        with Image.open(result.thumbnail_path) as thumbnail:
            assert thumbnail.format == "JPEG"
            assert thumbnail.size == (spec.width, spec.height)
            assert np.asarray(thumbnail.convert("L")).std() > 20  # a picture, not a blank frame


def test_it_reports_progress_until_every_platform_is_done(parallel_exports):
    _, reports = parallel_exports
    fractions = [fraction for fraction, _ in reports]

    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"YouTube ready", "TikTok ready", "Instagram (1:1) ready"} <= {m for _, m in reports}


def test_it_only_remuxes_a_master_that_already_fits(fitting_master, tmp_path):
    result = export_for_platform(fitting_master, "youtube", tmp_path)

    assert packet_digests(result.path, "video") == packet_digests(fitting_master, "video")
    assert packet_digests(result.path, "audio") == packet_digests(fitting_master, "audio")
    assert (result.width, result.height) == (1920, 1080)


def test_it_leaves_nothing_behind_when_an_export_fails(fitting_master, tmp_path, monkeypatch):
    def broken_thumbnail(*args):
        raise RenderFailed("Making the thumbnail failed.")

    monkeypatch.setattr(export, "_write_thumbnail", broken_thumbnail)

    with pytest.raises(RenderFailed):
        export_for_platform(fitting_master, "youtube", tmp_path / "out", cues=CUES)
    assert list((tmp_path / "out").iterdir()) == []


def test_it_refuses_a_video_longer_than_the_platform_allows(tmp_path):
    long_master = master(tmp_path / "long.mp4", size=(180, 320), seconds=181, fps=2, tone_db=None)

    with pytest.raises(InvalidInput) as refused:
        export_for_platform(long_master, "youtube_shorts", tmp_path / "out")
    assert str(refused.value) == (
        "This video is 3:01 long; YouTube Shorts accepts at most 3:00. "
        "Shorten the script or export with trimming."
    )
    assert not (tmp_path / "out").exists()


def test_it_trims_at_the_limit_with_a_fade_out(tmp_path, monkeypatch):
    monkeypatch.setitem(
        PLATFORM_SPECS, "tiktok", dataclasses.replace(PLATFORM_SPECS["tiktok"], max_duration_s=1)
    )
    vertical = master(tmp_path / "vertical.mp4", size=(360, 640))  # 2 s
    cues = (cue("kept whole", 0.1, 0.6), cue("cut in two here", 0.7, 1.3), cue("gone", 1.1, 1.5))

    result = export_for_platform(vertical, "tiktok", tmp_path, cues=cues, trim=True)

    assert result.trimmed and abs(result.duration_s - 1.0) < 0.05
    assert frame_at(result.path, 0.96).mean() < 0.15 * frame_at(result.path, 0.4).mean()
    assert audio_level(result.path, 0.96, 1.0) < 0.15 * audio_level(result.path, 0.2, 0.5)
    assert result.srt_path.read_text(encoding="utf-8") == srt_text(
        [cues[0], cue("cut in", 0.7, 1.0)]
    )


def audio_level(path: Path, start_s: float, end_s: float) -> float:
    """RMS of the samples between two times."""
    with av.open(str(path)) as container:
        samples = [
            frame.to_ndarray().ravel()
            for frame in container.decode(audio=0)
            if start_s <= frame.time < end_s
        ]
    return float(np.sqrt(np.mean(np.concatenate(samples) ** 2)))


def test_it_lowers_the_frame_rate_to_the_platform_maximum(tmp_path):
    fast = master(tmp_path / "fast.mp4", size=(360, 640), seconds=1, fps=60)

    result = export_for_platform(fast, "tiktok", tmp_path)

    with av.open(str(result.path)) as container:
        assert container.streams.video[0].average_rate == Fraction(30)


def test_it_reframes_around_the_face_rather_than_the_centre(tmp_path, monkeypatch):
    monkeypatch.setattr(reframe, "detect_faces", bright_box_faces)
    wide = moving_box_video(tmp_path / "wide.mp4", seconds=2, speed=270)  # "face" crosses it

    result = export_for_platform(wide, "youtube_shorts", tmp_path)

    assert (result.width, result.height) == (1080, 1920)
    # A centre crop would show the square only as it passes the middle, around 0.9 s.
    for seconds in (0.3, 1.7):
        assert abs(bright_centre_x(frame_at(result.path, seconds)) - 0.5) < 0.2


def test_it_refuses_files_that_are_not_videos(tmp_path):
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video")
    Image.new("RGB", (64, 64)).save(tmp_path / "still.png")

    for path in (notes, tmp_path / "still.png"):
        with pytest.raises(InvalidInput):
            export_for_platform(path, "youtube", tmp_path / "out")


def test_it_names_the_platforms_it_knows():
    assert get_platform("YouTube Shorts") is PLATFORM_SPECS["youtube_shorts"]
    with pytest.raises(InvalidInput, match="Choose one of: youtube, youtube_shorts, tiktok"):
        get_platform("myspace")


def test_it_keeps_each_spec_true_to_its_aspect_and_the_web_loudness():
    for spec in PLATFORM_SPECS.values():
        across, down = (int(part) for part in spec.aspect.split(":"))
        assert spec.width * down == spec.height * across, spec.name
        assert (spec.frame.width, spec.frame.height) == (spec.width, spec.height)
        assert spec.loudness_lufs == -14.0 and spec.audio_bitrate_kbps == 384
    assert {name: spec.max_duration_s for name, spec in PLATFORM_SPECS.items()} == {
        "youtube": 600,
        "youtube_shorts": 180,
        "tiktok": 600,
        "instagram_reels": 180,
        "instagram_portrait": 180,
        "instagram_square": 180,
    }
