"""`manage.py make_video` as a person runs it: exported paths last, plain errors, exit status.
It runs the pipeline's own steps over this run's database (a project like the wizard's, the
account's plan), so each test runs the command in a process of its own sharing the database."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from payments_app.models import Plan
from tests.conftest import BASE_DIR
from video_app.engine.core.ffmpeg import probe, run_ffmpeg
from video_app.engine.voice import recognition
from video_app.models import RenderedVideo, VideoProject
from video_app.services import in_process

# Each test runs the command in a process of its own, most of them through a whole render.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def make_video(subprocess_env):
    def run(*args, env=None):
        return subprocess.run(
            [sys.executable, "manage.py", "make_video", *args],
            cwd=BASE_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            env={**subprocess_env, **(env or {})},
        )

    return run


def script_file(folder: Path, text: str) -> Path:
    script = folder / "script.txt"
    script.write_text(text)
    return script


def test_it_prints_each_exported_file_on_its_own_line_at_the_end(tmp_path, make_video):
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
    for extension in ("srt", "vtt", "jpg"):
        assert (
            (tmp_path / "videos" / f"bees-talk-by-dancing.youtube_shorts.{extension}")
            .stat()
            .st_size
        )
    # The machine's own account made it, as a project on its dashboard, under a plan of its own.
    [project] = VideoProject.objects.all()
    assert project.user.username == in_process.COMMAND_LINE_USER
    assert (project.status, project.run_state) == ("completed", "succeeded")
    assert RenderedVideo.objects.get(project=project).width == 1080
    assert not Plan.objects.get(slug=in_process.COMMAND_LINE_PLAN).is_active  # not for sale


def test_it_makes_the_video_under_the_named_accounts_plan(tmp_path, make_video):
    """The same rules as the wizard: the Free plan's 720p cap and watermark, its project on
    its dashboard."""
    alice = get_user_model().objects.create_user("alice", "alice@example.com", "-")
    script = script_file(tmp_path, "Bees talk by dancing.")

    completed = make_video(
        "--script-file",
        str(script),
        "--platform",
        "tiktok",
        "--user",
        "alice@example.com",
        "--out",
        str(tmp_path / "videos"),
    )

    assert completed.returncode == 0, completed.stderr
    info = probe(Path(completed.stdout.strip()))
    assert (info.width, info.height) == (720, 1280)
    [project] = VideoProject.objects.filter(user=alice)
    assert project.masters["9:16"]["max_height_px"] == 720


def test_it_refuses_an_unknown_account(tmp_path, make_video):
    script = script_file(tmp_path, "Bees talk by dancing.")

    completed = make_video("--script-file", str(script), "--user", "nobody")

    assert completed.returncode == 1
    assert "There is no account 'nobody'." in completed.stderr
    assert not VideoProject.objects.exists()


def test_it_gives_each_speaker_of_a_dialogue_a_voice_of_their_own(tmp_path, make_video):
    script = tmp_path / "dialogue.txt"
    script.write_text(
        "ANNA: Shall we walk to the lighthouse before lunch?\n\n"
        "BEN: Only if we are back before the tide comes in.\n\n"
        "ANNA: Then we leave right now."
    )

    completed = make_video(
        "--script-file", str(script), "--platform", "instagram_square", "--out", str(tmp_path)
    )

    assert completed.returncode == 0, completed.stderr
    [project] = VideoProject.objects.all()
    voices = {}
    for scene in project.script.scenes.select_related("audio"):
        voices.setdefault(scene.speaker, set()).add(scene.audio.voice_id)
    assert voices.keys() == {"ANNA", "BEN"}
    assert all(len(voice) == 1 for voice in voices.values())
    assert voices["ANNA"] != voices["BEN"]


def test_it_says_why_a_run_failed_and_leaves_it_to_retry(tmp_path, make_video):
    script = tmp_path / "script.txt"
    script.write_text(" ".join(["Every sentence here adds a few more seconds of narration."] * 340))

    completed = make_video(
        "--script-file", str(script), "--platform", "youtube_shorts", "--out", str(tmp_path)
    )

    assert completed.returncode == 1
    assert completed.stdout == ""
    assert "Traceback" not in completed.stderr
    [project] = VideoProject.objects.all()
    assert (project.run_state, project.failed_step) == ("failed", "scenes")
    assert "YouTube Shorts accepts at" in project.error_message
    assert project.error_message in completed.stderr  # the same sentence as on the page


def test_it_names_the_templates_there_are_for_an_unknown_one(tmp_path, make_video):
    script = script_file(tmp_path, "Bees talk by dancing.")

    completed = make_video("--script-file", str(script), "--template", "webinar")

    assert completed.returncode == 1
    assert "Unknown template 'webinar'. Templates: explainer, listicle" in completed.stderr


def test_it_explains_an_empty_script_and_exits_non_zero(tmp_path, make_video):
    script = tmp_path / "empty.txt"
    script.write_text("   \n\n ")

    completed = make_video("--script-file", str(script), "--out", str(tmp_path))

    assert completed.returncode == 1
    assert "The script is empty" in completed.stderr
    assert completed.stdout == ""


def test_it_explains_a_missing_script_file(tmp_path, make_video):
    completed = make_video("--script-file", str(tmp_path / "nope.txt"))

    assert completed.returncode == 1
    assert "does not exist" in completed.stderr


def test_it_refuses_an_unknown_platform(make_video):
    completed = make_video("--topic", "Anything", "--platform", "myspace")

    assert completed.returncode == 2
    assert "invalid choice: 'myspace'" in completed.stderr


def test_it_lists_the_installed_voices(make_video):
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
def test_it_makes_a_video_from_a_topic_that_a_creator_would_publish(tmp_path, language, make_video):
    """With no keys: the packaged model writes (English) or the template writer, saying so
    (Spanish); every scene is illustrated; the voice is understood; music plays; the first word
    comes at once."""
    topic, description = BRIEFS[language]
    env = {"SCRIPT_PROVIDER": "local"}

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
