"""The timeline model and its frame plan: every frame rendered exactly once, fades straddling
scene boundaries, and scenes too short to show refused with a reason."""

from pathlib import Path

import pytest

from video_app.engine.core.errors import InvalidInput
from video_app.engine.core.styles import get_style
from video_app.engine.core.types import FrameSize, MediaItem, Speech, WordTiming
from video_app.engine.render import Piece, Timeline, TimelineScene, frame_plan

PICTURE = MediaItem(Path("/nonexistent.png"), "image", 1920, 1080, "test")


def timeline(*durations, transition="fade", **options):
    scenes = tuple(TimelineScene(media=PICTURE, duration_s=d) for d in durations)
    return Timeline(
        frame=FrameSize(1280, 720),
        fps=30,
        scenes=scenes,
        style=get_style("modern"),
        transition=transition,
        **options,
    )


def test_it_covers_every_frame_exactly_once_with_fades_across_boundaries():
    plan = frame_plan(timeline(3.0, 2.0, 4.0))

    assert plan == [
        Piece("segment", 0, 0, 82),
        Piece("transition", 0, 82, 16),
        Piece("segment", 1, 98, 44),
        Piece("transition", 1, 142, 16),
        Piece("segment", 2, 158, 112),
    ]
    assert sum(piece.frames for piece in plan) == 270


def test_it_rounds_scene_lengths_to_whole_frames():
    video = timeline(2.01, 2.99)

    assert video.scene_frames() == [60, 90]
    assert video.duration_s == 5.0


def test_it_renders_one_segment_per_scene_without_transitions():
    plan = frame_plan(timeline(2.0, 2.0, transition="none"))

    assert [piece.kind for piece in plan] == ["segment", "segment"]


def test_it_refuses_a_scene_shorter_than_its_fades():
    with pytest.raises(InvalidInput, match=r"Scene 2 lasts 0\.40 s; scenes need at least 1\.0 s"):
        timeline(3.0, 0.4)


def test_it_refuses_an_empty_timeline():
    with pytest.raises(InvalidInput, match="no scenes"):
        timeline()


def test_it_places_each_scene_s_words_on_the_video_clock():
    speech = Speech(Path("/v.wav"), 1.0, (WordTiming("hi", 0.1, 0.4),), "test", "t")
    scenes = (
        TimelineScene(media=PICTURE, duration_s=2.0, speech=speech, speech_offset_s=0.5),
        TimelineScene(media=PICTURE, duration_s=2.0, speech=speech, speech_offset_s=0.5),
    )
    video = Timeline(frame=FrameSize(640, 360), fps=25, scenes=scenes, style=get_style(None))

    assert [(w.start_s, w.end_s) for w in video.caption_words()] == [(0.6, 0.9), (2.6, 2.9)]


def test_it_alternates_motions_for_stills_and_keeps_clips_still():
    clip = MediaItem(Path("/c.mp4"), "video", 640, 360, "test", duration_s=3.0)
    scenes = (
        *(TimelineScene(media=PICTURE, duration_s=2.0) for _ in range(4)),
        TimelineScene(media=clip, duration_s=2.0),
    )
    video = Timeline(frame=FrameSize(640, 360), fps=25, scenes=scenes, style=get_style(None))

    assert [video.motion_of(i) for i in range(5)] == [
        "zoom_in",
        "pan_right",
        "zoom_out",
        "pan_left",
        "none",
    ]
