"""Reframing keeps the subject in a crop of another shape: around faces, else what stands out.

OpenCV's bundled Haar cascade is checked on a drawn face; the tests about geometry and tracking
replace it with `bright_box_faces`, which reports the bright square their pictures use as a face,
so that they test the reframing and not the detector.
"""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from video_app.engine.core.errors import InvalidInput
from video_app.engine.core.ffmpeg import run_ffmpeg
from video_app.engine.core.types import FrameSize
from video_app.engine.export import reframe
from video_app.engine.export.reframe import (
    crop_filter,
    crop_window,
    focus_point,
    saliency_focus,
    video_focus_track,
)

# Real FFmpeg renders.
pytestmark = pytest.mark.slow

LANDSCAPE = FrameSize(640, 360)
PORTRAIT = FrameSize(360, 640)


def bright_box_faces(gray):
    """Stands in for the face detector: every bright pixel together is one face."""
    rows, columns = np.nonzero(gray > 200)
    if not len(rows):
        return []
    x, y = int(columns.min()), int(rows.min())
    return [(x, y, int(columns.max()) - x + 1, int(rows.max()) - y + 1)]


@pytest.fixture
def boxes_are_faces(monkeypatch):
    monkeypatch.setattr(reframe, "detect_faces", bright_box_faces)


def picture(path: Path, boxes=(), size=(640, 360), background="#334455") -> Path:
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    for left, top, side in boxes:
        draw.rectangle([left, top, left + side - 1, top + side - 1], fill="white")
    image.save(path)
    return path


def drawn_face(path: Path, *, size=(640, 360), centre=(480, 170), radius=70) -> Path:
    """A simple drawn face (hair, skin, eyes with brows, nose, mouth) the cascade recognises."""
    image = Image.new("RGB", size, (70, 90, 110))
    draw = ImageDraw.Draw(image)
    x, y, r = *centre, radius
    draw.ellipse([x - r * 1.05, y - r * 1.45, x + r * 1.05, y + r * 0.4], fill=(40, 28, 20))
    draw.ellipse([x - r * 0.85, y - r * 1.15, x + r * 0.85, y + r * 1.25], fill=(224, 180, 150))
    eye_y = y - r * 0.15
    for side in (-1, 1):
        eye_x = x + side * r * 0.36
        draw.ellipse(
            [eye_x - r * 0.2, eye_y - r * 0.08, eye_x + r * 0.2, eye_y + r * 0.08],
            fill=(245, 245, 245),
        )
        draw.ellipse(
            [eye_x - r * 0.09, eye_y - r * 0.08, eye_x + r * 0.09, eye_y + r * 0.08],
            fill=(40, 25, 15),
        )
        draw.rectangle(
            [eye_x - r * 0.25, eye_y - r * 0.3, eye_x + r * 0.25, eye_y - r * 0.22],
            fill=(60, 40, 25),
        )
    draw.polygon(
        [(x, eye_y), (x - r * 0.12, y + r * 0.35), (x + r * 0.12, y + r * 0.35)],
        fill=(200, 150, 125),
    )
    draw.ellipse([x - r * 0.3, y + r * 0.55, x + r * 0.3, y + r * 0.72], fill=(150, 70, 70))
    image.filter(ImageFilter.GaussianBlur(r / 40)).save(path)
    return path


def test_it_finds_a_face_with_opencv_s_bundled_detector(tmp_path):
    gray = np.asarray(Image.open(drawn_face(tmp_path / "face.png")).convert("L"))

    faces = reframe.detect_faces(gray)

    assert len(faces) == 1
    x, y, width, height = faces[0]
    assert abs(x + width / 2 - 480) < 20
    assert abs(y + height / 2 - 170) < 30


def moving_box_video(path: Path, *, seconds=3, start_x=40, speed=180) -> Path:
    """A dark 640x360 video with a white 40 px square moving left to right."""
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"color=c=0x203040:s=640x360:r=30:d={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"color=c=white:s=40x40:r=30:d={seconds}",
            "-filter_complex",
            f"[0:v][1:v]overlay=x='{start_x}+{speed}*t':y=160,format=yuv420p",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "15",
            str(path),
        ],
        description="test video",
        timeout_s=60,
    )
    return path


def test_it_crops_a_vertical_window_around_the_focus():
    x, y, width, height = crop_window(LANDSCAPE, 9 / 16, (0.25, 0.5))

    assert (y, height) == (0, 360)
    assert width == 202  # 360 * 9 / 16 = 202.5, rounded down to even
    assert abs((x + width / 2) - 160) <= 2


def test_it_keeps_the_window_inside_the_frame_at_the_edges():
    assert crop_window(LANDSCAPE, 9 / 16, (0.98, 0.5))[0] == 640 - 202
    assert crop_window(LANDSCAPE, 9 / 16, (0.0, 0.5))[0] == 0
    assert crop_window(PORTRAIT, 16 / 9, (0.5, 1.0)) == (0, 438, 360, 202)


def test_it_uses_even_numbers_for_odd_sizes():
    window = crop_window(FrameSize(721, 405), 4 / 5, (0.37, 0.61))

    assert all(value % 2 == 0 for value in window)
    x, y, width, height = window
    assert x + width <= 721 and y + height <= 405


def test_it_keeps_the_whole_frame_for_the_same_shape():
    assert crop_window(FrameSize(1920, 1080), 16 / 9, (0.9, 0.1)) == (0, 0, 1920, 1080)


def test_it_focuses_on_the_face(tmp_path, boxes_are_faces):
    photo = picture(tmp_path / "face.png", boxes=[(480, 60, 80)])

    x, y = focus_point(photo)

    assert abs(x - 520 / 640) < 0.01 and abs(y - 100 / 360) < 0.01


def test_it_focuses_on_the_largest_face_not_a_distant_small_one(tmp_path, monkeypatch):
    faces = [(20, 20, 30, 30), (400, 100, 90, 90)]
    monkeypatch.setattr(reframe, "detect_faces", lambda gray: faces)
    photo = picture(tmp_path / "two.png")

    x, y = focus_point(photo)

    assert abs(x - 445 / 640) < 0.01 and abs(y - 145 / 360) < 0.01


def test_it_falls_back_to_the_centre_of_a_plain_picture(tmp_path):
    # The real detector (when the OpenCV build has one) must find nothing here either.
    assert focus_point(picture(tmp_path / "plain.png")) == (0.5, 0.5)


def test_it_falls_back_to_what_stands_out_without_a_face(tmp_path):
    rgb = np.full((360, 640, 3), (40, 60, 80), dtype=np.uint8)
    rgb[80:140, 480:540] = (230, 180, 40)  # one bright object, right of centre, high up

    x, y = saliency_focus(rgb)

    assert abs(x - 510 / 640) < 0.03 and abs(y - 110 / 360) < 0.03


def test_it_refuses_a_file_that_is_not_a_picture(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not a picture")

    with pytest.raises(InvalidInput, match=r"notes\.png is not a picture"):
        focus_point(text)


def test_it_tracks_a_moving_face_through_a_video(tmp_path, boxes_are_faces):
    video = moving_box_video(tmp_path / "moving.mp4")

    track = video_focus_track(video, samples=6)

    times = [time_s for time_s, _, _ in track]
    xs = [x for _, x, _ in track]
    assert len(track) == 6 and times == sorted(times) and 0 < times[0] < times[-1] < 3
    assert xs == sorted(xs) and xs[-1] - xs[0] > 0.5
    for time_s, x, y in track:
        expected_x = (40 + 180 * time_s + 20) / 640
        assert abs(x - expected_x) < 0.05 and abs(y - 180 / 360) < 0.03


def test_it_holds_still_on_a_video_without_faces(tmp_path):
    video = moving_box_video(tmp_path / "still.mp4", speed=0, start_x=300)

    track = video_focus_track(video, samples=4)

    assert len({(x, y) for _, x, y in track}) == 1


def test_it_keeps_one_steady_window_when_the_subject_stays_put():
    track = [(0.5, 0.30, 0.5), (1.5, 0.32, 0.5), (2.5, 0.31, 0.5)]

    assert crop_filter(LANDSCAPE, 9 / 16, track) == "crop=w=202:h=360:x='98':y='0'"


def test_it_glides_the_window_between_sampled_positions():
    track = [(0.5, 0.2, 0.5), (1.5, 0.5, 0.5), (2.5, 0.8, 0.5)]

    graph = crop_filter(LANDSCAPE, 9 / 16, track)

    x_expression = graph.split("x='")[1].split("'")[0]
    assert graph.startswith("crop=w=202:h=360:") and graph.endswith(":y='0'")
    assert [evaluate(x_expression, t) for t in (0.0, 0.5, 1.0, 1.5, 2.5, 3.0)] == pytest.approx(
        [28, 28, 124, 220, 412, 412], abs=1
    )


def evaluate(expression: str, t: float) -> float:
    """FFmpeg's if/lt expression language, as Python, for the crop expressions."""
    python = expression.replace("if(", "_if(").replace("lt(", "_lt(")
    return eval(python, {"_if": lambda c, a, b: a if c else b, "_lt": lambda a, b: a < b, "t": t})  # noqa: S307
