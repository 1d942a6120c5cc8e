"""The FFmpeg engine renders real videos, checked as a viewer would see and hear them."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tests.video_app.engine import media_factories as make
from tests.video_app.engine.media_factories import narrated_timeline
from tests.video_app.engine.viewer import black_intervals, frame_at, frame_count, loudness
from video_app.engine.core.errors import InvalidInput, RenderFailed
from video_app.engine.core.ffmpeg import probe
from video_app.engine.core.styles import get_style
from video_app.engine.core.types import FrameSize
from video_app.engine.render import Timeline, TimelineScene
from video_app.engine.render.ffmpeg_engine import FFmpegEngine

# Real FFmpeg renders.
pytestmark = pytest.mark.slow


@pytest.fixture
def engine(tmp_path):
    return FFmpegEngine(cache_dir=tmp_path / "cache")


def test_it_renders_a_narrated_video_a_viewer_can_play(tmp_path, engine):
    video = narrated_timeline(tmp_path, ["Coffee is old.", "It came from Ethiopia.", "Drink up."])

    result = engine.render(video, tmp_path / "out.mp4")

    info = probe(result.path)
    assert (info.video_codec, info.video_profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert (info.width, info.height, info.fps) == (640, 360, 24)
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, 2)
    assert abs(info.duration_s - video.duration_s) <= 0.1
    assert frame_count(result.path) == video.total_frames
    assert black_intervals(result.path) == []
    levels = loudness(result.path)
    assert -15.5 <= levels["integrated_lufs"] <= -12.5
    assert levels["true_peak_db"] <= -1.0


def test_it_burns_captions_where_the_words_are_spoken(tmp_path, engine):
    captioned = narrated_timeline(tmp_path, ["Captions appear here.", "And here too."])
    plain = dataclasses.replace(captioned, caption_style="none")

    with_captions = engine.render(captioned, tmp_path / "captions.mp4").path
    without = engine.render(plain, tmp_path / "plain.mp4").path

    first_word = captioned.caption_words()[0]
    speaking = (first_word.start_s + first_word.end_s) / 2
    bottom = slice(int(360 * 0.7), 360)
    assert (
        np.abs(
            frame_at(with_captions, speaking)[bottom].astype(int)
            - frame_at(without, speaking)[bottom].astype(int)
        ).mean()
        > 5
    )
    # Before the first word nothing is drawn.
    assert np.array_equal(frame_at(with_captions, 0.0), frame_at(without, 0.0))


def test_it_rerenders_only_the_edited_scene(tmp_path, engine):
    video = narrated_timeline(tmp_path, ["One.", "Two.", "Three.", "Four."])
    engine.render(video, tmp_path / "first.mp4")
    new_picture = make.still(tmp_path / "new.png", colour="#f39c12")
    scenes = list(video.scenes)
    scenes[2] = dataclasses.replace(scenes[2], media=new_picture)

    result = engine.render(
        dataclasses.replace(video, scenes=tuple(scenes)), tmp_path / "second.mp4"
    )

    # Scene 3's segment and the fades on either side of it; four other pieces reused.
    assert (result.pieces_rendered, result.pieces_reused) == (3, 4)
    assert abs(probe(result.path).duration_s - video.duration_s) <= 0.1


def test_it_reports_progress_in_order_with_each_part_its_share(tmp_path, engine):
    video = narrated_timeline(tmp_path, ["One.", "Two.", "Three."])
    first, again = [], []

    engine.render(video, tmp_path / "first.mp4", on_progress=lambda *report: first.append(report))
    engine.render(video, tmp_path / "again.mp4", on_progress=lambda *report: again.append(report))

    fractions = [fraction for fraction, _message in first]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    starts = {message: fraction for fraction, message in reversed(first)}
    # Encoding costs the most; mixing the soundtrack its own share after it, not a sliver.
    assert 0.5 < starts["Mixing the soundtrack"] < starts["Joining the scenes"] < 1.0
    assert starts["Joining the scenes"] - starts["Mixing the soundtrack"] > 0.03
    # Everything cached: only the join is left to do, so it is the whole of the progress.
    assert [(f, m) for f, m in again if m != "Rendering scenes"] == [
        (0.0, "Mixing the soundtrack"),
        (0.0, "Joining the scenes"),
        (1.0, "Done"),
    ]


def test_it_loops_a_clip_shorter_than_its_scene(tmp_path, engine):
    short_clip = make.clip(tmp_path / "clip.mp4", seconds=1.0)
    video = Timeline(
        frame=FrameSize(640, 360),
        fps=24,
        style=get_style("tech"),
        scenes=(TimelineScene(media=short_clip, duration_s=3.0),),
        loudness_lufs=None,
    )

    result = engine.render(video, tmp_path / "clip-out.mp4")

    assert abs(probe(result.path).duration_s - 3.0) <= 0.1
    late = [frame_at(result.path, t) for t in (2.2, 2.6)]
    assert not np.array_equal(*late)  # still playing, not frozen on a last frame


def test_it_fits_vertical_video_with_word_by_word_captions(tmp_path, engine):
    video = narrated_timeline(
        tmp_path,
        ["Short form wins.", "Every word lights up."],
        frame=FrameSize(360, 640),
        caption_style="word_highlight",
    )

    result = engine.render(video, tmp_path / "vertical.mp4")

    info = probe(result.path)
    assert (info.width, info.height) == (360, 640)
    assert abs(info.duration_s - video.duration_s) <= 0.1


def test_it_renders_captions_in_any_script(tmp_path, engine):
    video = narrated_timeline(
        tmp_path, ["مرحبا بالعالم", "你好 世界", "Café ☕ 🚀 {\\b1} 100% C:\\temp"]
    )

    result = engine.render(video, tmp_path / "scripts.mp4")

    assert abs(probe(result.path).duration_s - video.duration_s) <= 0.1


def test_it_adds_music_and_a_watermark(tmp_path, engine):
    video = dataclasses.replace(
        narrated_timeline(tmp_path, ["With music."]),
        music=make.music(tmp_path / "music.wav", seconds=1.5),
        watermark="Free plan",
    )

    result = engine.render(video, tmp_path / "music.mp4")

    assert loudness(result.path)["integrated_lufs"] > -20


def test_it_names_the_scene_whose_picture_cannot_be_read(tmp_path, engine):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a picture" * 10)
    video = narrated_timeline(tmp_path, ["Fine.", "Broken picture."])
    scenes = (
        video.scenes[0],
        dataclasses.replace(
            video.scenes[1], media=dataclasses.replace(video.scenes[1].media, path=broken)
        ),
    )

    with pytest.raises(InvalidInput, match="Scene 2: its picture cannot be read"):
        engine.render(dataclasses.replace(video, scenes=scenes), tmp_path / "out.mp4")

    assert not (tmp_path / "out.mp4").exists()
    leftovers = [p for p in Path(tmp_path).rglob("*partial*")]
    assert leftovers == []


def test_it_reports_a_failed_encode_and_leaves_no_partial_file(tmp_path, engine):
    video = dataclasses.replace(
        narrated_timeline(tmp_path, ["One.", "Two."]), x264_preset="no-such-preset"
    )

    with pytest.raises(RenderFailed, match="Rendering scene 1 failed"):
        engine.render(video, tmp_path / "out.mp4")

    assert not (tmp_path / "out.mp4").exists()
    assert [p for p in Path(tmp_path).rglob("*partial*")] == []


def test_it_refuses_a_picture_too_large_to_decode_safely(tmp_path, engine, monkeypatch):
    monkeypatch.setattr("video_app.engine.render.ffmpeg_engine.MAX_PICTURE_PIXELS", 500_000)
    video = narrated_timeline(tmp_path, ["A normal picture.", "A huge picture."])
    huge = make.still(tmp_path / "huge.png", size=(1200, 1000))
    scenes = (video.scenes[0], dataclasses.replace(video.scenes[1], media=huge))

    with pytest.raises(InvalidInput, match="Scene 2: its picture is 1200×1000 pixels"):
        engine.render(dataclasses.replace(video, scenes=scenes), tmp_path / "out.mp4")


def test_it_names_a_scene_whose_voiceover_is_empty(tmp_path, engine):
    video = narrated_timeline(tmp_path, ["Fine.", "Empty voice."])
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    broken_speech = dataclasses.replace(video.scenes[1].speech, path=empty)
    scenes = (video.scenes[0], dataclasses.replace(video.scenes[1], speech=broken_speech))

    with pytest.raises(InvalidInput, match="Scene 2: its voiceover cannot be read"):
        engine.render(dataclasses.replace(video, scenes=scenes), tmp_path / "out.mp4")


def test_it_renders_a_silent_voiceover_as_silence(tmp_path, engine):
    video = narrated_timeline(tmp_path, ["Quiet please."], loudness_lufs=-14.0)
    silent = tmp_path / "silent.wav"
    make.run_ffmpeg(
        ["-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "1.2", str(silent)],
        description="silence",
        timeout_s=30,
    )
    quiet = dataclasses.replace(video.scenes[0].speech, path=silent)
    scenes = (dataclasses.replace(video.scenes[0], speech=quiet),)

    result = engine.render(dataclasses.replace(video, scenes=scenes), tmp_path / "quiet.mp4")

    assert abs(probe(result.path).duration_s - video.duration_s) <= 0.1
    assert loudness(result.path)["integrated_lufs"] is None  # silence stays silence
