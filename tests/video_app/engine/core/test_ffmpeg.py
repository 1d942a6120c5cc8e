"""Running FFmpeg: time limits, no half-written files, filter paths with awkward characters."""

import subprocess

import pytest

from video_app.engine.core.errors import InvalidInput, RenderFailed
from video_app.engine.core.ffmpeg import (
    atomic_output,
    filter_path,
    in_parallel,
    probe,
    run_ffmpeg,
    stop_requested,
)


def test_it_stops_an_ffmpeg_run_that_exceeds_its_time_limit(tmp_path):
    with pytest.raises(RenderFailed, match="took longer than 1 s and was stopped"):
        run_ffmpeg(
            ["-f", "lavfi", "-i", "testsrc2=s=1280x720", "-f", "null", "-"],
            description="An endless render",
            timeout_s=1,
        )

    running = subprocess.run(["pgrep", "-f", "testsrc2=s=1280x720"], capture_output=True)
    assert running.stdout == b""


def test_it_stops_the_other_runs_at_once_when_one_of_a_parallel_set_fails():
    def job(name):
        if name == "broken":
            raise RenderFailed("This piece cannot be made.")
        # Endless: without the stop, the set would wait on it for its whole hour.
        run_ffmpeg(
            ["-re", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"],
            description="An endless piece",
            timeout_s=3600,
        )

    with pytest.raises(RenderFailed, match="cannot be made"):
        in_parallel(job, ["endless", "broken"], workers=2)

    assert not stop_requested()  # the next runs of this process are allowed


def test_it_reports_ffmpeg_s_own_words_as_detail(tmp_path):
    with pytest.raises(RenderFailed) as failure:
        run_ffmpeg(
            ["-i", str(tmp_path / "missing.mp4"), str(tmp_path / "out.mp4")],
            description="Converting",
            timeout_s=30,
        )

    assert str(failure.value) == "Converting failed."
    assert "missing.mp4" in failure.value.detail


def test_it_moves_output_into_place_only_on_success(tmp_path):
    target = tmp_path / "final.mp4"

    with pytest.raises(RuntimeError), atomic_output(target) as partial:
        partial.write_bytes(b"half a video")
        raise RuntimeError("interrupted")

    assert list(tmp_path.iterdir()) == []
    with atomic_output(target) as partial:
        partial.write_bytes(b"a whole video")
    assert target.read_bytes() == b"a whole video"


@pytest.mark.parametrize("name", ["it's: [a], b; c.ass", r"back\slash.ass"])
def test_it_escapes_file_paths_inside_filter_graphs(tmp_path, name):
    subtitles = tmp_path / name
    subtitles.write_text(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: 64\nPlayResY: 36\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )

    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "color=s=64x36:d=0.1",
            "-vf",
            f"ass=filename={filter_path(subtitles)}",
            "-f",
            "null",
            "-",
        ],
        description="Burning captions",
        timeout_s=30,
    )


def test_it_refuses_to_probe_something_that_is_not_media(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("just words")

    with pytest.raises(InvalidInput, match=r"notes\.mp4 is not a video, picture or sound file"):
        probe(text)
