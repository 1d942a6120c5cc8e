"""Captions: cues a viewer can read, sidecar files players accept, and ASS that shows user text
literally."""

from video_app.engine.core.cues import build_cues, join_words, srt_text, vtt_text
from video_app.engine.core.styles import get_style
from video_app.engine.core.types import FrameSize, WordTiming
from video_app.engine.render.captions import (
    ass_escape,
    ass_script,
)


def timed(text, start=0.0, step=0.3, gap_after=None):
    words, clock = [], start
    for index, word in enumerate(text.split()):
        words.append(WordTiming(word, clock, clock + step * 0.9))
        clock += step
        if gap_after is not None and index == gap_after:
            clock += 1.0
    return words


def test_it_ends_a_cue_at_the_end_of_a_sentence():
    cues = build_cues(timed("Coffee is old. It came from Ethiopia."))

    assert [cue.text for cue in cues] == ["Coffee is old.", "It came from Ethiopia."]


def test_it_starts_a_new_cue_after_a_pause():
    cues = build_cues(timed("first scene words second scene words", gap_after=2))

    assert [cue.text for cue in cues] == ["first scene words", "second scene words"]


def test_it_keeps_cues_short_enough_to_read():
    cues = build_cues(timed(" ".join(["word"] * 60)))

    assert all(len(cue.text) <= 84 and len(cue.words) <= 14 for cue in cues)
    assert sum(len(cue.words) for cue in cues) == 60


def test_it_joins_cjk_words_without_spaces():
    assert join_words(["咖啡", "来自", "埃塞俄比亚"]) == "咖啡来自埃塞俄比亚"
    assert join_words(["Hello", "世界"]) == "Hello 世界"


def test_it_writes_srt_with_numbered_cues_and_comma_milliseconds():
    srt = srt_text(build_cues(timed("Hello there. General Kenobi.", start=61.5)))

    assert srt.splitlines()[:3] == ["1", "00:01:01,500 --> 00:01:02,070", "Hello there."]
    assert "2\n00:01:02,100 --> " in srt


def test_it_escapes_markup_in_webvtt():
    vtt = vtt_text(build_cues(timed("5 < 6 & 7 > 3 --> fine")))

    assert vtt.startswith("WEBVTT\n")
    assert "5 &lt; 6 &amp; 7 &gt; 3 --&gt; fine" in vtt


def test_it_shows_braces_backslashes_and_override_tags_literally():
    escaped = ass_escape(r"{\b1}bold{\r} C:\new \N \h 100%")

    assert "{" not in escaped.replace("\\{", "")
    assert "}" not in escaped.replace("\\}", "")
    # No backslash is directly followed by a letter libass would read as an escape or tag.
    assert "\\N" not in escaped and "\\n" not in escaped and "\\h" not in escaped
    assert "\\b1" not in escaped


def test_it_puts_only_the_window_s_events_in_a_segment_script_on_its_own_clock():
    words = timed("one two three. four five six.", step=1.0)
    script = ass_script(
        words,
        caption_style="lower_third",
        style=get_style("modern"),
        frame=FrameSize(1920, 1080),
        window=(3.0, 6.0),
    )

    dialogue = [line for line in script.splitlines() if line.startswith("Dialogue:")]
    assert dialogue == ["Dialogue: 0,0:00:00.00,0:00:02.90,Caption,,0,0,0,,four five six."]


def test_it_highlights_each_spoken_word_in_turn():
    script = ass_script(
        timed("big bold words", step=0.5),
        caption_style="word_highlight",
        style=get_style("bold"),
        frame=FrameSize(1080, 1920),
        window=(0.0, 2.0),
    )

    dialogue = [line for line in script.splitlines() if line.startswith("Dialogue:")]
    assert len(dialogue) == 3
    assert "{\\c&H0000D4FF}bold{\\r}" in dialogue[1]
    assert "{\\c&H0000D4FF}big{\\r}" in dialogue[0]


def test_it_adds_the_watermark_for_the_whole_window():
    script = ass_script(
        [],
        caption_style="none",
        style=get_style("modern"),
        frame=FrameSize(1280, 720),
        window=(10.0, 14.0),
        watermark="Made with {AI}",
    )

    assert "Dialogue: 0,0:00:00.00,0:00:04.00,Watermark,,0,0,0,,Made with \\{AI\\}" in script
