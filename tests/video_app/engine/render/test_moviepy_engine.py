"""The MoviePy engine renders the same timelines as the FFmpeg engine, checked as a viewer would
see and hear the files. Renders are small (a few seconds at 320x180 or less), the larger ones
shared between tests."""

import dataclasses

import numpy as np
import pytest

from tests.video_app.engine import media_factories as make
from tests.video_app.engine.media_factories import narrated_timeline
from tests.video_app.engine.viewer import (
    band_level_db,
    decoded_mono,
    frame_at,
    frame_count,
    loudness,
)
from video_app.engine.core.errors import InvalidInput, RenderFailed
from video_app.engine.core.ffmpeg import probe, run_ffmpeg
from video_app.engine.core.styles import get_style, rgb
from video_app.engine.core.types import FrameSize, Speech, WordTiming
from video_app.engine.render import Timeline, TimelineScene, render_timeline
from video_app.engine.render.moviepy_engine import MoviePyEngine

# Real renders.
pytestmark = pytest.mark.slow

MUSIC_HZ = 220  # one of the test music's two tones
VOICE_HZ = 880
SMALL = FrameSize(320, 180)


@pytest.fixture(scope="module")
def narrated(tmp_path_factory):
    """Three narrated stills with lower-third captions: the timeline, its file, its progress."""
    folder = tmp_path_factory.mktemp("narrated")
    video = narrated_timeline(
        folder, ["Coffee grows.", "Beans travel.", "Drink up."], frame=SMALL, watermark="Free"
    )
    progress = []
    result = MoviePyEngine().render(
        video, folder / "narrated.mp4", on_progress=lambda *report: progress.append(report)
    )
    return video, result, progress


@pytest.fixture(scope="module")
def clip_and_music(tmp_path_factory):
    """Vertical: a half-second clip in a 1.5 s scene, then a narrated still, over one second of
    music that has to loop; word-by-word captions."""
    folder = tmp_path_factory.mktemp("clip-and-music")
    clip = make.clip(folder / "clip.mp4", seconds=0.5, size=(320, 240))
    speech = make.voice(folder / "voice.wav", "Every word lights", frequency=VOICE_HZ)
    video = Timeline(
        frame=FrameSize(180, 320),
        fps=24,
        style=get_style("tech"),
        scenes=(
            TimelineScene(media=clip, duration_s=1.5),
            TimelineScene(media=make.still(folder / "still.png"), duration_s=3.0, speech=speech),
        ),
        music=make.music(folder / "music.wav", seconds=1.0),
        caption_style="word_highlight",
    )
    return video, MoviePyEngine().render(video, folder / "clip-and-music.mp4")


def test_it_renders_a_file_a_viewer_can_play(narrated):
    video, result, _ = narrated

    info = probe(result.path)
    assert (info.video_codec, info.video_profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert (info.width, info.height, info.fps) == (320, 180, 24)
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, 2)
    assert abs(info.duration_s - video.duration_s) <= 0.1
    assert frame_count(result.path) == video.total_frames == result.frames
    assert (result.pieces_rendered, result.pieces_reused) == (1, 0)
    assert [cue.text for cue in result.cues] == ["Coffee grows.", "Beans travel.", "Drink up."]


def test_it_brings_the_soundtrack_to_the_loudness_target(narrated):
    _, result, _ = narrated

    levels = loudness(result.path)

    assert -15.0 <= levels["integrated_lufs"] <= -13.0
    assert levels["true_peak_db"] <= -1.0


def test_it_reports_progress_until_done(narrated):
    _, _, progress = narrated

    fractions = [fraction for fraction, _ in progress]
    assert fractions == sorted(fractions)
    assert "Rendering frames" in {message for _, message in progress}
    assert progress[-1] == (1.0, "Done")


def test_it_burns_captions_where_the_words_are_spoken(narrated, tmp_path):
    video, captioned, _ = narrated

    plain = render_timeline(
        dataclasses.replace(video, caption_style="none"), tmp_path / "plain.mp4", engine="moviepy"
    )

    first_word = video.caption_words()[0]
    speaking = (first_word.start_s + first_word.end_s) / 2
    with_captions, without = frame_at(captioned.path, speaking), frame_at(plain.path, speaking)
    # Pixels that clearly changed (more than encoding noise): in the lower third only.
    changed = np.abs(with_captions.astype(int) - without.astype(int)).max(axis=2) > 48
    assert changed[int(180 * 0.7) :].mean() > 0.02
    assert changed[: int(180 * 0.7)].mean() < 0.002


def test_it_loops_a_clip_shorter_than_its_scene(clip_and_music):
    _, result = clip_and_music

    first, looped, later = (frame_at(result.path, t).astype(int) for t in (0.1, 0.6, 0.35))

    assert np.abs(first - looped).mean() < 3  # half a second on: the clip has started over
    assert np.abs(first - later).mean() > 6  # and it plays rather than holding a frame


def test_it_plays_the_music_looped_and_ducked_under_the_voice(clip_and_music):
    video, result = clip_and_music
    samples, rate = decoded_mono(result.path)
    voice_starts_s = video.scene_starts_s()[1] + video.scenes[1].speech_offset_s

    music_alone = band_level_db(samples, rate, 0.2, 0.7, MUSIC_HZ)
    music_looped = band_level_db(samples, rate, 1.05, 1.55, MUSIC_HZ)
    under_voice = band_level_db(samples, rate, voice_starts_s + 0.1, voice_starts_s + 0.6, MUSIC_HZ)

    assert abs(music_looped - music_alone) < 3
    assert music_alone - under_voice > 6
    assert band_level_db(samples, rate, voice_starts_s + 0.1, voice_starts_s + 0.6, VOICE_HZ) > (
        under_voice + 10
    )


def test_it_colours_each_word_as_it_is_spoken(clip_and_music):
    video, result = clip_and_music
    highlight = np.array(rgb(video.style.caption_highlight))  # cyan: far from the pictures' colours

    def highlighted_x(word):
        frame = frame_at(result.path, (word.start_s + word.end_s) / 2).astype(int)
        near = np.abs(frame - highlight).sum(axis=2) < 120
        assert near.sum() > 10, f"nothing highlighted while {word.text!r} is spoken"
        return np.nonzero(near)[1].mean()

    assert (probe(result.path).width, probe(result.path).height) == (180, 320)
    positions = [highlighted_x(word) for word in video.caption_words()]
    assert positions == sorted(positions)  # left to right, as the words are read
    assert positions[0] < video.frame.width / 2 < positions[-1]


def test_it_keeps_peaks_down_when_it_raises_a_quiet_voice(tmp_path):
    # A quiet tone with a loud click: reaching the target lifts the click far past full scale.
    clicks = tmp_path / "clicks.wav"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "aevalsrc=0.1*sin(2*PI*300*t)+0.9*between(t\\,0.6\\,0.6002):d=1.2",
            "-ar",
            "48000",
            str(clicks),
        ],
        description="test clicks",
        timeout_s=30,
    )
    speech = Speech(clicks, 1.2, (WordTiming("Click.", 0.0, 1.2),), "test", "clicks")
    video = Timeline(
        frame=FrameSize(160, 90),
        fps=24,
        style=get_style("bold"),
        scenes=(
            TimelineScene(media=make.still(tmp_path / "still.png"), duration_s=2.0, speech=speech),
        ),
    )

    levels = loudness(MoviePyEngine().render(video, tmp_path / "clicks.mp4").path)

    assert levels["true_peak_db"] <= -1.0
    assert -15.0 <= levels["integrated_lufs"] <= -13.0


def test_it_draws_every_frame_at_any_frame_rate(tmp_path):
    # 29 frames at 25 fps: 29 / 25 * 25 is a hair under 29 in floating point.
    video = Timeline(
        frame=FrameSize(160, 90),
        fps=25,
        style=get_style("minimal"),
        caption_style="none",
        scenes=(TimelineScene(media=make.still(tmp_path / "still.png"), duration_s=1.16),),
    )

    result = MoviePyEngine().render(video, tmp_path / "silent.mp4")

    assert frame_count(result.path) == video.total_frames == 29
    assert loudness(result.path)["integrated_lufs"] is None  # nothing said: silence, not noise


def test_it_names_the_scene_whose_picture_cannot_be_read(tmp_path):
    video = narrated_timeline(tmp_path, ["Fine.", "Broken."], frame=SMALL)
    video.scenes[1].media.path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not a picture" * 10)

    with pytest.raises(InvalidInput, match="Scene 2: its picture cannot be read"):
        MoviePyEngine().render(video, tmp_path / "out.mp4")

    assert not (tmp_path / "out.mp4").exists()


def test_it_reports_a_failed_encode_and_leaves_no_partial_file(tmp_path):
    video = narrated_timeline(tmp_path, ["One."], frame=SMALL, x264_preset="no-such-preset")

    with pytest.raises(RenderFailed, match="Rendering the video failed"):
        MoviePyEngine().render(video, tmp_path / "out.mp4")

    assert not (tmp_path / "out.mp4").exists()
    assert [p for p in tmp_path.rglob("*partial*")] == []
