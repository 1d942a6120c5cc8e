"""Where to crop a picture or a video for another aspect ratio: around the faces in it, else
around what stands out, else the centre.

The renderer asks `focus_point` where to keep a still when it fills a frame; the exporter asks
`video_focus_track` and `crop_filter` how to turn a 16:9 master into 9:16 (and back) without
cutting off the person speaking. Faces are found with OpenCV's frontal-face cascade when the
installed OpenCV build has one (see `_face_cascade`); without a face, a saliency measure keeps
the part of the frame that stands out.
"""

import functools
import logging
import statistics
import threading
from collections.abc import Sequence
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from ..core.errors import InvalidInput
from ..core.ffmpeg import probe
from ..core.types import FrameSize

logger = logging.getLogger(__name__)

Rect = tuple[int, int, int, int]  # x, y, w, h in pixels of the picture that was searched

# Faces are searched on a copy this size (long side): big enough for a face a tenth of the
# frame tall, small enough for a dozen video frames to take well under a second.
DETECTION_SIZE = 640
CASCADE_FILE = "haarcascade_frontalface_default.xml"
# opencv-python builds ship the cascades in cv2.data; Debian's opencv-data package has them too.
CASCADE_FOLDERS = ("/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades")
# Faces at least this share of the largest face's area count as part of the subject.
GROUP_AREA_SHARE = 0.5
# ... provided they stand within this many face widths of it (a group, not two people far apart).
GROUP_DISTANCE_FACES = 2.5
# A video crop follows the faces only if keeping it still would move the subject by more than
# this share of the frame; otherwise one steady window is better than a drifting one.
STEADY_SHARE = 0.06

_detection_lock = threading.Lock()


def focus_point(image_path: Path) -> tuple[float, float]:
    """(x, y) in 0..1 of what a crop of this picture should keep: the centre of its main face (or
    group of faces), else of its most salient region, else the middle."""
    try:
        with Image.open(image_path) as image:
            # JPEGs decode straight at a reduced scale: detection never looks at full size.
            image.draft("RGB", (DETECTION_SIZE, DETECTION_SIZE))
            rgb = np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError) as error:
        raise InvalidInput(
            f"{Path(image_path).name} is not a picture that can be read.", detail=repr(error)
        ) from error
    return _frame_focus(rgb) or saliency_focus(rgb)


def video_focus_track(video: Path, *, samples: int = 12) -> list[tuple[float, float, float]]:
    """(time_s, x, y) at `samples` evenly spaced moments: where the faces are, smoothed.

    Moments without a face borrow the nearest moment with one, so a blink or a turned head does
    not swing the crop away. With no face at all the track holds still on the median salient
    point, since following saliency from frame to frame makes the crop wander."""
    duration_s = _video_duration_s(video)
    times = [duration_s * (index + 0.5) / samples for index in range(max(1, samples))]
    frames = sample_frames(video, times, pixel_format="rgb24")
    faces = [_frame_focus(rgb) for _, rgb in frames]
    if not any(faces):
        points = [saliency_focus(rgb) for _, rgb in frames]
        still = (statistics.median(p[0] for p in points), statistics.median(p[1] for p in points))
        return [(time_s, *still) for time_s, _ in frames]
    filled = [_nearest_found(faces, index) for index in range(len(faces))]
    xs = _smooth([point[0] for point in filled])
    ys = _smooth([point[1] for point in filled])
    return [(time_s, x, y) for (time_s, _), x, y in zip(frames, xs, ys, strict=True)]


def crop_window(
    src: FrameSize, target_aspect: float, focus: tuple[float, float]
) -> tuple[int, int, int, int]:
    """The largest window of `target_aspect` inside `src` with the focus as near its centre as
    the frame allows. Even numbers throughout, as 4:2:0 video needs."""
    if src.aspect > target_aspect:  # too wide: keep the full height, narrow the width
        height = _even_floor(src.height)
        width = min(_even_floor(height * target_aspect), _even_floor(src.width))
    else:
        width = _even_floor(src.width)
        height = min(_even_floor(width / target_aspect), _even_floor(src.height))
    x = _place(focus[0] * src.width - width / 2, src.width - width)
    y = _place(focus[1] * src.height - height / 2, src.height - height)
    return x, y, width, height


def crop_filter(
    src: FrameSize, target_aspect: float, track: Sequence[tuple[float, float, float]]
) -> str:
    """An FFmpeg crop filter for a video of size `src` that keeps the tracked subject in view.

    One still window on the median position when the subject stays roughly in place (or there
    is a single sample); otherwise the window glides linearly between the sampled positions,
    an expression of the frame time `t` that the crop filter evaluates for every frame."""
    if not track:
        x, y, width, height = crop_window(src, target_aspect, (0.5, 0.5))
        return f"crop=w={width}:h={height}:x={x}:y={y}"
    windows = [crop_window(src, target_aspect, (fx, fy)) for _, fx, fy in track]
    width, height = windows[0][2], windows[0][3]
    median = (
        statistics.median(fx for _, fx, _ in track),
        statistics.median(fy for _, _, fy in track),
    )
    still_x, still_y, _, _ = crop_window(src, target_aspect, median)
    spread_x = max(w[0] for w in windows) - min(w[0] for w in windows)
    spread_y = max(w[1] for w in windows) - min(w[1] for w in windows)
    x = str(still_x)
    y = str(still_y)
    if spread_x > STEADY_SHARE * src.width:
        x = _glide([time_s for time_s, _, _ in track], [w[0] for w in windows])
    if spread_y > STEADY_SHARE * src.height:
        y = _glide([time_s for time_s, _, _ in track], [w[1] for w in windows])
    # Quoted, so the commas of if() survive the filter graph parser; the values have no colons.
    return f"crop=w={width}:h={height}:x='{x}':y='{y}'"


def detect_faces(gray: np.ndarray) -> list[Rect]:
    """Frontal faces in a grayscale picture, in its pixel coordinates; [] if none or if this
    OpenCV build has no face detector."""
    cascade = _face_cascade()
    if cascade is None:
        return []
    short_side = min(gray.shape[:2])
    # One classifier object is shared, and OpenCV does not promise that it is re-entrant.
    with _detection_lock:
        found = cascade.detectMultiScale(
            cv2.equalizeHist(gray),
            scaleFactor=1.1,
            minNeighbors=5,
            minSize=(max(24, short_side // 12),) * 2,
        )
    return [tuple(int(value) for value in rect) for rect in found]


def saliency_focus(rgb: np.ndarray) -> tuple[float, float]:
    """The centre of what stands out from the picture as a whole (frequency-tuned saliency,
    Achanta et al. 2009: each pixel's distance in Lab from the mean colour), or the middle of a
    picture where nothing does."""
    small = cv2.resize(rgb, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_RGB2LAB)
    saliency = np.linalg.norm(lab - lab.reshape(-1, 3).mean(axis=0), axis=2)
    # Achanta's adaptive threshold: twice the mean saliency marks the salient region.
    mask = saliency > max(2 * saliency.mean(), 2.0)  # below 2 Lab units nothing stands out
    if not mask.any():
        return 0.5, 0.5
    rows, columns = np.nonzero(mask)
    weights = saliency[rows, columns]
    return (
        float(np.average(columns + 0.5, weights=weights) / 128),
        float(np.average(rows + 0.5, weights=weights) / 128),
    )


def sample_frames(
    video: Path, times_s: Sequence[float], *, pixel_format: str = "rgb24"
) -> list[tuple[float, np.ndarray]]:
    """(time_s, picture) of the frame shown at each of `times_s`, as numpy arrays in
    `pixel_format` ("gray" or "rgb24"); past the end, the last frame."""
    pictures = []
    try:
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            half_frame_s = 0.5 / float(stream.average_rate or 30)
            # Times count from the first frame; some containers (MPEG-TS) do not start at 0.
            start_s = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
            for time_s in sorted(times_s):
                at_s = start_s + max(0.0, time_s)
                container.seek(int(at_s / stream.time_base), stream=stream)
                chosen = None
                for frame in container.decode(stream):
                    chosen = frame
                    if frame.time is None or frame.time + half_frame_s >= at_s:
                        break
                if chosen is not None:
                    pictures.append((time_s, chosen.to_ndarray(format=pixel_format)))
    except (av.FFmpegError, OSError, IndexError) as error:
        raise InvalidInput(
            f"{Path(video).name} is not a video that can be read.", detail=repr(error)
        ) from error
    if not pictures:
        raise InvalidInput(f"{Path(video).name} has no picture to look at.")
    return pictures


def _frame_focus(rgb: np.ndarray) -> tuple[float, float] | None:
    """Centre of the main face or group of faces, in 0..1, or None if there is no face."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    height, width = gray.shape[:2]
    scale = min(1.0, DETECTION_SIZE / max(height, width))
    searched = gray
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        searched = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    faces = detect_faces(searched)
    if not faces:
        return None
    main = max(faces, key=lambda rect: rect[2] * rect[3])
    main_x, main_y = main[0] + main[2] / 2, main[1] + main[3] / 2
    group = [
        rect
        for rect in faces
        if rect[2] * rect[3] >= GROUP_AREA_SHARE * main[2] * main[3]
        and abs(rect[0] + rect[2] / 2 - main_x) <= GROUP_DISTANCE_FACES * main[2]
        and abs(rect[1] + rect[3] / 2 - main_y) <= GROUP_DISTANCE_FACES * main[3]
    ]
    areas = [rect[2] * rect[3] for rect in group]
    centre_x = np.average([rect[0] + rect[2] / 2 for rect in group], weights=areas)
    centre_y = np.average([rect[1] + rect[3] / 2 for rect in group], weights=areas)
    searched_h, searched_w = searched.shape[:2]
    return float(centre_x / searched_w), float(centre_y / searched_h)


@functools.cache
def _face_cascade():
    """OpenCV's frontal-face cascade, or None (logged once) when the build cannot provide it.

    opencv-python-headless 5.x dropped both CascadeClassifier (now in the contrib build) and the
    cascade files; the contrib build plus any folder holding the XML brings face detection back.
    """
    classifier = getattr(cv2, "CascadeClassifier", None)
    bundled = getattr(getattr(cv2, "data", None), "haarcascades", "")
    folders = [folder for folder in (bundled, *CASCADE_FOLDERS) if folder]
    if classifier is not None:
        for folder in folders:
            path = Path(folder) / CASCADE_FILE
            if path.is_file():
                cascade = classifier(str(path))
                if not cascade.empty():
                    return cascade
    logger.warning(
        "No face detector: OpenCV %s %s; %s not found in %s. Crops fall back to saliency.",
        cv2.__version__,
        "has CascadeClassifier" if classifier else "has no CascadeClassifier",
        CASCADE_FILE,
        ", ".join(folders),
    )
    return None


def _nearest_found(points: list, index: int):
    """The point at `index`, or the nearest one that is not None (earlier wins a tie)."""
    for distance in range(len(points)):
        for candidate in (index - distance, index + distance):
            if 0 <= candidate < len(points) and points[candidate] is not None:
                return points[candidate]
    raise ValueError("no point found")


def _smooth(values: list[float]) -> list[float]:
    """A running median of three (drops single-sample outliers, keeps real moves), then a
    running mean of three (rounds off the corners)."""
    if len(values) < 3:
        return list(values)
    medians = [values[0]] + [
        statistics.median(values[i - 1 : i + 2]) for i in range(1, len(values) - 1)
    ]
    medians.append(values[-1])
    means = [medians[0]] + [sum(medians[i - 1 : i + 2]) / 3 for i in range(1, len(medians) - 1)]
    means.append(medians[-1])
    return means


def _glide(times: list[float], positions: list[int]) -> str:
    """A piecewise-linear expression of `t` through (time, position) points, held flat before
    the first and after the last."""
    expression = str(positions[-1])
    for index in range(len(times) - 2, -1, -1):
        t0, t1 = times[index], times[index + 1]
        p0, p1 = positions[index], positions[index + 1]
        step = f"{p0}+({p1 - p0})*(t-{t0:.3f})/{max(t1 - t0, 1e-3):.3f}"
        expression = f"if(lt(t,{t1:.3f}),{step},{expression})"
    return f"if(lt(t,{times[0]:.3f}),{positions[0]},{expression})"


def _video_duration_s(video: Path) -> float:
    info = probe(video)
    if not info.has_video:
        raise InvalidInput(f"{Path(video).name} has no picture to look at.")
    return info.duration_s


def _place(offset: float, room: int) -> int:
    """An even offset in 0..room closest to `offset`."""
    return max(0, min(room // 2 * 2, round(offset / 2) * 2))


def _even_floor(value: float) -> int:
    return max(2, int(value) // 2 * 2)
