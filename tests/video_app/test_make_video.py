"""`manage.py make_video` as a person runs it: exported paths last, plain errors, exit status."""

import subprocess
import sys

from tests.conftest import BASE_DIR
from video_app.ai_services.ffmpeg import probe


def make_video(*args, cwd=BASE_DIR):
    return subprocess.run(
        [sys.executable, "manage.py", "make_video", *args],
        cwd=cwd, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_it_prints_each_exported_file_on_its_own_line_at_the_end(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text("Bees talk by dancing.\n\nA waggle dance points the way to flowers.")

    completed = make_video("--script-file", str(script), "--out", str(tmp_path / "videos"),
                           "--platform", "youtube_shorts", "--style", "warm")  # fmt: skip

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
