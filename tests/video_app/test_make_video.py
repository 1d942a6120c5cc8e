"""`manage.py make_video` as a person runs it: exported paths last, plain errors, exit status."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BASE_DIR
from video_app.engine.core.ffmpeg import probe, run_ffmpeg
from video_app.engine.voice import recognition

# Each test runs the command in a process of its own, most of them through a whole render.
pytestmark = pytest.mark.slow


def make_video(*args, cwd=BASE_DIR, env=None):
    return subprocess.run(
        [sys.executable, "manage.py", "make_video", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_it_prints_each_exported_file_on_its_own_line_at_the_end(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text("Bees talk by dancing.\n\nA waggle dance points the way to flowers.")

    completed = make_video(
        "--script-file",
        str(script),
        "--out",
        str(tmp_path / "videos"),
        "--platform",
        "youtube_shorts",
        "--style",
        "warm",
    )

    assert completed.returncode == 0, completed.stderr
    paths = completed.stdout.strip().splitlines()
    assert paths == [str(tmp_path / "videos" / "bees-talk-by-dancing.youtube_shorts.mp4")]
    info = probe(tmp_path / "videos" / "bees-talk-by-dancing.youtube_shorts.mp4")
    assert (info.width, info.height, info.audio_codec) == (1080, 1920, "aac")
    assert "render" in completed.stderr  # progress went to stderr, not stdout


def test_it_explains_an_empty_script_and_exits_non_zero(tmp_path):
    script = tmp_path / "empty.txt"
    script.write_text("   \n\n ")

    completed = make_video("--script-file", str(script), "--out", str(tmp_path))

    assert completed.returncode == 1
    assert "The script is empty" in completed.stderr
    assert completed.stdout == ""


def test_it_explains_a_missing_script_file(tmp_path):
    completed = make_video("--script-file", str(tmp_path / "nope.txt"))

    assert completed.returncode == 1
    assert "does not exist" in completed.stderr


def test_it_refuses_an_unknown_platform():
    completed = make_video("--topic", "Anything", "--platform", "myspace")

    assert completed.returncode == 2
    assert "invalid choice: 'myspace'" in completed.stderr


def test_it_lists_the_installed_voices():
    completed = make_video("--list-voices")

    assert completed.returncode == 0
    assert completed.stdout.splitlines()[0].startswith("piper:en_US-joe-medium")


BRIEFS = {
    "en": (
        "Why bees matter",
        "Bees pollinate about a third of the crops we eat. A hive can hold "
        "tens of thousands of bees. Planting wildflowers and avoiding pesticides helps them.",
    ),
    "es": (
        "Por qué importan las abejas",
        "Las abejas polinizan cerca de un tercio de los cultivos "
        "que comemos. Una colmena puede tener decenas de miles de abejas. Plantar flores "
        "silvestres y evitar pesticidas las ayuda.",
    ),
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_it_makes_a_video_from_a_topic_that_a_creator_would_publish(tmp_path, language):
    """With no keys: the packaged model writes (English) or the template writer, saying so
    (Spanish); every scene is illustrated; the voice is understood; music plays; the first word
    comes at once."""
    topic, description = BRIEFS[language]
    env = {**os.environ, "SCRIPT_PROVIDER": "local"}

    completed = make_video(
        "--topic",
        topic,
        "--description",
        description,
        "--language",
        language,
        "--platform",
        "youtube_shorts",
        "--out",
        str(tmp_path),
        env=env,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    video = Path(completed.stdout.strip().splitlines()[-1])
    notes = [line for line in completed.stderr.splitlines() if line.startswith("Note: ")]
    if language == "en":
        assert notes == []
    else:
        assert notes == [
            "Note: The local script model writes scripts in English only. "
            "A template-based script was written instead."
        ]
    cues = video.with_suffix(".srt").read_text()
    assert first_cue_s(cues) <= 0.5
    said = " ".join(
        line for line in cues.splitlines() if line.strip() and not re.match(r"^[\d:, >-]+$", line)
    )
    heard = " ".join(word.text for word in recognition.transcribe(video, language))
    assert recognition.word_error_rate(said, heard, language=language) <= 0.10
    # The outro has no voice: the music alone is what plays there, before its fade-out.
    info = probe(video)
    assert music_level_db(video, info.duration_s - 3.0, 1.0) > -32


def first_cue_s(srt: str) -> float:
    hours, minutes, seconds, millis = re.search(r"(\d+):(\d+):(\d+),(\d+) -->", srt).groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def music_level_db(path: Path, start_s: float, seconds: float) -> float:
    log = run_ffmpeg(
        [
            "-ss",
            f"{start_s:.2f}",
            "-t",
            f"{seconds:.2f}",
            "-i",
            str(path),
            "-map",
            "0:a",
            "-af",
            "volumedetect",
            "-f",
            "null",
            "-",
        ],
        description="Measuring the music",
        timeout_s=60,
        loglevel="info",
    )
    return float(re.search(r"mean_volume:\s*(-?[\d.]+) dB", log).group(1))
