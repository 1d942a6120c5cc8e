"""Small real media files for engine tests: pictures, voices, clips and music, made on the spot
with Pillow and the FFmpeg that imageio-ffmpeg ships."""

from pathlib import Path

from PIL import Image, ImageDraw

from video_app.engine.core.ffmpeg import run_ffmpeg
from video_app.engine.core.styles import get_style
from video_app.engine.core.types import FrameSize, MediaItem, Speech, WordTiming
from video_app.engine.render import Timeline, TimelineScene

COLOURS = ["#c0392b", "#2471a3", "#1e8449", "#7d3c98"]
SMALL = FrameSize(640, 360)


def still(path: Path, size=(768, 432), colour="#c0392b") -> MediaItem:
    """A picture with structure (stripes and a disc), so motion and crops change pixels."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], max(8, size[0] // 24)):
        draw.line([(x, 0), (x, size[1])], fill="#f5f5f5", width=max(1, size[0] // 400))
    radius = min(size) // 4
    centre = (size[0] // 2, size[1] // 2)
    draw.ellipse(
        [centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius],
        fill="#f1c40f",
    )
    image.save(path)
    return MediaItem(path, "image", size[0], size[1], "test")


def voice(path: Path, text: str, *, seconds_per_word=0.4, frequency=330) -> Speech:
    """A tone as long as `text` would take to say, with a timing for each of its words."""
    words = text.split()
    duration = len(words) * seconds_per_word
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={frequency}:duration={duration}",
            "-af",
            "volume=-6dB",
            "-ar",
            "22050",
            "-ac",
            "1",
            str(path),
        ],
        description="test voice",
        timeout_s=30,
    )
    timings = tuple(
        WordTiming(word, index * seconds_per_word, (index + 0.9) * seconds_per_word)
        for index, word in enumerate(words)
    )
    return Speech(path, duration, timings, "test", "test-tone")


def clip(path: Path, *, seconds: float, size=(640, 360), fps=24) -> MediaItem:
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"testsrc2=s={size[0]}x{size[1]}:r={fps}:d={seconds}",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        description="test clip",
        timeout_s=60,
    )
    return MediaItem(path, "video", size[0], size[1], "test", duration_s=seconds)


def music(path: Path, *, seconds: float) -> Path:
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=220:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=277:duration={seconds}",
            "-filter_complex",
            "amix=inputs=2",
            "-ac",
            "2",
            str(path),
        ],
        description="test music",
        timeout_s=30,
    )
    return path


def narrated_timeline(tmp_path, texts, *, frame=SMALL, **options):
    scenes = []
    for index, text in enumerate(texts):
        picture = still(tmp_path / f"scene{index}.png", colour=COLOURS[index % 4])
        speech = voice(tmp_path / f"voice{index}.wav", text, frequency=300 + 40 * index)
        scenes.append(
            TimelineScene(media=picture, duration_s=speech.duration_s + 0.8, speech=speech)
        )
    return Timeline(frame=frame, fps=24, scenes=tuple(scenes), style=get_style("modern"), **options)
