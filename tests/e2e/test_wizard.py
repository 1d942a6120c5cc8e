"""A new creator goes through every page of the wizard in a real browser: signs up, creates a
project, generates then edits the script, edits the storyboard, makes pictures (and uploads one),
records voices, renders while the progress bar moves, plays the video and downloads it."""

import io
import re
import time

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from video_app.engine.core.ffmpeg import probe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]

RUN_TIMEOUT_MS = 180_000  # a background run, from the click to the page reloading
SCRIPT = (
    "[waves on a beach] Every morning the tide brings new shells to the beach.\n\n"
    "[children with buckets] Children collect them before breakfast.\n\n"
    "[a shell in a hand] Each shell was once somebody's home."
)


def sign_up(page):
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Email").fill("carol@example.com")
    page.get_by_label("Password*", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def first_cue_s(srt: str) -> float:
    """When the first caption shows: the first spoken word."""
    hours, minutes, seconds, millis = re.search(r"(\d+):(\d+):(\d+),(\d+) -->", srt).groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def wait_for_run_to_end(page):
    """A run was just started: its panel shows, then the page reloads with the result."""
    expect(page.locator("#progress-panel")).to_be_visible()
    expect(page.locator("#progress-title")).to_have_text("Done", timeout=RUN_TIMEOUT_MS)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 360), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def watch_bar_until_result(page, timeout_s=180) -> list[int]:
    """The percentages the bar showed, read every 100 ms until the result page opened."""
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if re.search(r"/projects/\d+/$", page.url):
            return seen
        try:
            value = page.evaluate(
                "() => document.getElementById('progress-bar-outer')?.getAttribute('aria-valuenow')"
            )
        except PlaywrightError:  # navigating to the result
            value = None
        if value is not None and (not seen or seen[-1] != int(value)):
            seen.append(int(value))
        page.wait_for_timeout(100)
    raise AssertionError(f"no result page after {timeout_s} s; the bar showed {seen}")


def test_it_takes_a_new_creator_from_sign_up_to_a_downloaded_video(
    page, live_server_stack, tmp_path
):
    sign_up(page)

    # 1. New project
    page.get_by_role("link", name="New video").click()
    page.get_by_label("Title").fill("Shells on the beach")
    page.get_by_label("Description").fill("Where the shells on a beach come from, for TikTok")
    # Suggestions fill the form in, with their reasons, and keep what was typed. (The previews
    # are drawn on first view: leaving the page before they arrive would abort them.)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#template-choices img')]"
        ".every(image => image.complete && image.naturalWidth > 0)"
    )
    page.get_by_role("button", name="Suggest settings from my description").click()
    expect(page.locator("#suggestion")).to_contain_text("Explainers on TikTok do best at 30–60 s.")
    expect(page.get_by_label("TikTok")).to_be_checked()
    expect(page.get_by_label("Title")).to_have_value("Shells on the beach")
    page.get_by_label("TikTok").uncheck()
    page.get_by_label("Length (seconds)").fill("")
    page.locator("#template-explainer").check()
    expect(page.locator("img[src$='/templates/explainer/preview/']")).to_have_js_property(
        "complete", True
    )
    page.get_by_label("YouTube", exact=True).uncheck()
    page.get_by_label("Instagram (1:1)").check()
    # The packaged language model writes the script (the tests' default is the template writer).
    page.locator("details").filter(has=page.get_by_label("Script writer")).locator(
        "summary"
    ).click()
    page.get_by_label("Script writer").select_option(
        label="Packaged language model (offline, English)"
    )
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_text("Project created.")).to_be_visible()

    # 2. Script: written by the model, then replaced by the creator's own
    page.get_by_role("button", name="Generate script").click()
    wait_for_run_to_end(page)
    written = page.locator("#id_text").input_value()
    assert written.startswith("["), written  # a paragraph per scene, each with what to show
    assert "welcome" not in written.casefold() and "subscribe" not in written.casefold()
    expect(page.locator("#template-based-note")).to_have_count(0)
    expect(page.locator("#script-writer")).to_contain_text("Packaged language model")
    page.locator("#id_text").fill(SCRIPT)
    page.get_by_role("button", name="Save and make the scenes →").click()
    expect(page).to_have_url(re.compile(r"/storyboard/$"))
    wait_for_run_to_end(page)

    # 3. Scenes: three scenes; the first edited in place
    cards = page.locator(".scene-card")
    expect(cards).to_have_count(3)
    first_text = cards.nth(0).locator("textarea[name=text]")
    first_text.fill("Every morning the tide leaves new shells on the sand.")
    cards.nth(0).locator("input[name=visual_direction]").focus()  # leaving the words saves them
    expect(cards.nth(0).locator(".scene-save-state")).to_have_text("Saved")
    page.reload()
    expect(page.locator(".scene-card").nth(0).locator("textarea[name=text]")).to_have_value(
        "Every morning the tide leaves new shells on the sand."
    )
    page.get_by_role("link", name="Next: media →").click()

    # 4. Media: made for every scene, then one uploaded
    page.get_by_role("button", name="Find pictures for all scenes").click()
    wait_for_run_to_end(page)
    expect(page.locator("#media-scenes img")).to_have_count(3)
    upload = tmp_path / "my-beach.png"
    upload.write_bytes(png_bytes())
    scene = page.locator("#media-scenes article").nth(2)
    scene.locator("input[type=file]").set_input_files(upload)
    scene.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text("Your upload now shows in scene 3")).to_be_visible()
    expect(
        page.locator("#media-scenes article").nth(2).get_by_text("From your library")
    ).to_be_visible()
    page.get_by_role("link", name="Next: voice →").click()

    # 5. Voice: recorded, and each can be played
    page.get_by_role("button", name="Record all scenes").click()
    wait_for_run_to_end(page)
    expect(page.locator("#voice-scenes audio")).to_have_count(3)
    page.get_by_role("link", name="Next: render →").click()

    # 6. Render: the bar moves live, then the result opens by itself
    page.get_by_role("button", name="Render video").click()
    expect(page.get_by_text("Rendering started.")).to_be_visible()
    shown = watch_bar_until_result(page)
    in_between = sorted({value for value in shown if 0 < value < 100})
    assert len(in_between) >= 2, f"the bar showed only {shown}"
    assert shown == sorted(shown), f"the bar went backwards: {shown}"

    # 7. Result: the video plays in the page and downloads
    video = page.locator("#result-video")
    expect(video).to_be_visible()
    page.evaluate(
        "() => { const v = document.getElementById('result-video'); v.muted = true; "
        "return v.play(); }"
    )
    page.wait_for_function(
        "() => document.getElementById('result-video').currentTime > 0.5", timeout=30_000
    )
    width = page.evaluate("() => document.getElementById('result-video').videoWidth")
    assert width == 720  # a new account is on the Free plan: 720p
    with page.expect_download() as download_info:
        page.locator("#downloads a[data-platform='instagram_square']").click()
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    assert path.name == "shells-on-the-beach.instagram_square.mp4"
    info = probe(path, decode=True)
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (
        720,
        720,
        "h264",
        "aac",
    )
    assert 8 < info.duration_s < 40
    # Short form starts on the hook: the first word within half a second, no title card first.
    srt_link = page.locator("#downloads a", has_text="SRT").first.get_attribute("href")
    assert first_cue_s(page.request.get(srt_link).text()) <= 0.5
    assert page.console_errors == []
