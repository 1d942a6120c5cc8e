"""Script writing: drafts with a hook, a body and a call to action from the user's topic, the
same draft for the same request, and no junk accepted from a cloud writer."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from video_app.engine.core.errors import InvalidInput, ProviderFailed
from video_app.engine.scenes import process_script
from video_app.engine.script import (
    SCRIPT_JSON_SCHEMA,
    TEMPLATES,
    SceneDraft,
    ScriptDraft,
    ScriptRequest,
    parse_script_json,
    script_writers,
    write_script,
)

TONES = ["friendly", "professional", "energetic", "calm", "humorous", "inspirational"]
BRIEF = (
    "Rooftop solar panels turn sunlight into electricity for the house. A home battery keeps "
    "the lights on at night, and net metering sells the extra power to the grid."
)


def solar(**overrides) -> ScriptRequest:
    return ScriptRequest(**{"topic": "solar panels", "description": BRIEF, **overrides})


def test_it_writes_a_hook_a_body_and_a_call_to_action_about_the_topic():
    draft = write_script(solar(platform="tiktok"))
    narrations = [scene.narration for scene in draft.scenes]

    assert "solar panels" in narrations[0]
    assert "Follow for more." in narrations[-1]
    body = " ".join(narrations[1:-1])
    assert "home battery" in body
    assert "net metering" in body
    assert draft.title == "Solar panels, explained"


def test_it_describes_what_each_scene_should_show():
    draft = write_script(solar())

    assert all(scene.visual_description for scene in draft.scenes)
    assert draft.scenes[0].visual_description.startswith("Solar panels.")
    assert any(scene.visual_description.startswith("Home battery") for scene in draft.scenes)


def test_it_writes_the_same_script_for_the_same_request():
    assert write_script(solar()) == write_script(solar())


def test_it_changes_the_hook_and_call_to_action_with_the_tone():
    drafts = [write_script(solar(tone=tone)) for tone in TONES]

    assert len({draft.scenes[0].narration for draft in drafts}) == len(TONES)
    assert len({draft.scenes[-1].narration for draft in drafts}) == len(TONES)
    assert len({draft.scenes[1].visual_description for draft in drafts}) == len(TONES)


def test_it_writes_each_template_differently():
    drafts = {template: write_script(solar(template=template)) for template in TEMPLATES}

    assert len({draft.as_text() for draft in drafts.values()}) == len(TEMPLATES)
    assert drafts["listicle"].scenes[1].narration.startswith("Number 1.")
    assert drafts["tutorial"].scenes[2].narration.startswith("Step 2.")
    assert drafts["listicle"].title.startswith(f"{len(drafts['listicle'].scenes) - 2} things")


def test_it_writes_more_scenes_for_a_longer_video():
    long_brief = BRIEF + (
        " Panels last about twenty-five years. Inverters convert direct current. Installers "
        "check the roof angle. Cloudy days still produce some energy. Tax credits lower the "
        "price. Monitoring apps show the daily output."
    )
    short = write_script(solar(description=long_brief, platform="tiktok", target_duration_s=15))
    long = write_script(solar(description=long_brief, target_duration_s=180))

    assert 3 <= len(short.scenes) < len(long.scenes)


def test_it_keeps_a_thin_brief_short_rather_than_repeating_itself():
    draft = write_script(ScriptRequest(topic="Sourdough bread", target_duration_s=600))

    assert len(draft.scenes) == 4
    assert len({scene.narration for scene in draft.scenes}) == 4


def test_it_writes_hooks_and_calls_to_action_in_the_requested_language():
    expected = {
        "es": ("¡Hola!", "Gracias por ver"),
        "fr": ("Salut !", "Merci d'avoir regardé"),
        "de": ("Hallo!", "Danke fürs Zuschauen"),
        "pt": ("Olá!", "Obrigado por assistir"),
    }
    for language, (hello, thanks) in expected.items():
        draft = write_script(ScriptRequest(topic="energía solar", language=language))

        assert draft.scenes[0].narration.startswith(hello)
        assert "energía solar" in draft.scenes[0].narration
        assert thanks in draft.scenes[-1].narration
        assert draft.language == language


def test_it_uses_english_frames_with_the_users_own_words_in_other_languages():
    draft = write_script(
        ScriptRequest(
            topic="pannelli solari",
            description="I pannelli solari sono una fonte di energia pulita per la casa.",
            language="it",
        )
    )

    assert draft.scenes[0].narration.startswith("Hey there!")
    assert "pannelli solari" in draft.scenes[0].narration
    assert "energia pulita" in draft.as_text()


def test_it_marks_its_drafts_as_template_based():
    draft = write_script(solar())

    assert draft.template_based
    assert draft.provider == "structured"


@pytest.mark.parametrize("language", ["en", "es", "fr", "de", "pt"])
def test_it_writes_text_that_reads_back_as_narration(language):
    # No line of the phrase tables may look like "NAME: ..." to the script processor. Templates
    # and tones change different lines, so each is tried once.
    settings = [("explainer", tone) for tone in TONES] + [(t, "friendly") for t in TEMPLATES]
    for template, tone in settings:
        draft = write_script(solar(template=template, tone=tone, language=language))
        scenes = process_script(draft.as_text(), language=language)

        assert {scene.speaker for scene in scenes} == {None}
        assert scenes[0].visual_direction == draft.scenes[0].visual_description


def test_it_writes_dialogue_as_speaker_lines_the_processor_reads_back():
    draft = ScriptDraft(
        title="Coffee talk",
        language="en",
        provider="test",
        template_based=False,
        scenes=[
            SceneDraft(narration="Two friends meet.", visual_description="A cafe"),
            SceneDraft(narration="Try this [really].", visual_description="Cups", speaker="Anna"),
        ],
    )

    assert draft.as_text() == "[A cafe] Two friends meet.\n\n[Cups] ANNA: Try this (really)."
    assert [scene.speaker for scene in process_script(draft.as_text())] == [None, "ANNA"]


@pytest.mark.parametrize("topic", ["", "   ", "?!"])
def test_it_asks_for_a_topic(topic):
    with pytest.raises(InvalidInput, match="Give the video a topic"):
        write_script(ScriptRequest(topic=topic))
    with pytest.raises(InvalidInput, match="Give the video a topic"):
        write_script({"topic": topic})


def test_it_explains_a_setting_it_cannot_use():
    with pytest.raises(InvalidInput, match="Check the tone"):
        write_script({"topic": "solar panels", "tone": "angry"})
    with pytest.raises(InvalidInput, match="Check the target duration"):
        write_script({"topic": "solar panels", "target_duration_s": 2})


def test_it_uses_the_writer_named_in_settings(settings):
    settings.AI_PROVIDERS = {"script": "nonexistent"}

    with pytest.raises(ImproperlyConfigured, match="nonexistent"):
        write_script(solar())
    assert write_script(solar(), provider="structured").provider == "structured"


class CarelessWriter:
    name = "careless"

    def available(self):
        return True

    def write(self, request):
        return ScriptDraft.model_construct(
            title="", language="en", scenes=[], provider="careless", template_based=False
        )


def test_it_refuses_an_invalid_draft_from_a_writer(monkeypatch):
    monkeypatch.setitem(script_writers.providers, "careless", f"{__name__}.CarelessWriter")

    with pytest.raises(ProviderFailed) as failure:
        write_script(solar(), provider="careless")
    assert "template-based writer" in failure.value.message
    assert "careless" in failure.value.detail


def test_a_failing_writer_gives_way_to_the_template_writer_only_when_allowed(monkeypatch):
    monkeypatch.setitem(script_writers.providers, "careless", f"{__name__}.CarelessWriter")

    draft = write_script(solar(), provider="careless", fallback=True)

    assert (draft.provider, draft.template_based) == ("structured", True)
    assert draft.fallback_reason.startswith("The script writer")
    assert draft.fallback_reason.endswith("A template-based script was written instead.")
    assert write_script(solar(), provider="structured", fallback=True).fallback_reason == ""
    with pytest.raises(ProviderFailed):
        write_script(solar(), provider="careless", fallback=False)


CLOUD_ANSWER = {
    "title": "Solar, simply",
    "language": "en",
    "scenes": [
        {"narration": "Sunlight is free.", "visual_description": "Sun over a roof"},
        {"narration": "Panels catch it.", "visual_description": "Panels", "speaker": "Maya"},
    ],
}


def test_it_reads_a_cloud_writers_json():
    for raw in (
        CLOUD_ANSWER,
        json.dumps(CLOUD_ANSWER),
        f"```json\n{json.dumps(CLOUD_ANSWER)}\n```",
    ):
        draft = parse_script_json(raw, provider="gemini")

        assert draft.provider == "gemini"
        assert not draft.template_based
        assert [scene.speaker for scene in draft.scenes] == [None, "Maya"]


def test_it_fills_in_a_missing_language():
    answer = {key: value for key, value in CLOUD_ANSWER.items() if key != "language"}

    assert parse_script_json(answer, provider="gemini", language="es").language == "es"


@pytest.mark.parametrize(
    "raw",
    [
        "Sure! Here is your script: Solar panels are great.",
        "",
        "[]",
        '"just a string"',
        "{}",
        {"title": "No scenes", "language": "en"},
        {**CLOUD_ANSWER, "scenes": []},
        {**CLOUD_ANSWER, "scenes": [{"narration": "", "visual_description": "x"}]},
        {**CLOUD_ANSWER, "scenes": [{"narration": 42, "visual_description": "x"}]},
        {**CLOUD_ANSWER, "scenes": [{"narration": "Hi.", "visual_description": "x"}] * 61},
        {**CLOUD_ANSWER, "scenes": [{"narration": "Hi.", "visual_description": "x" * 401}]},
        {
            **CLOUD_ANSWER,
            "scenes": [{"narration": "Hi.", "visual_description": "x", "speaker": "not a name"}],
        },
        {**CLOUD_ANSWER, "language": "English please"},
        "x" * 300_000,
    ],
)
def test_it_refuses_garbage_from_a_cloud_writer(raw):
    with pytest.raises(ProviderFailed) as failure:
        parse_script_json(raw, provider="gemini")
    assert failure.value.message.startswith("The script writer returned a script that can't")
    assert failure.value.detail.startswith("gemini: ")


def test_it_publishes_the_schema_a_cloud_writer_must_follow():
    assert SCRIPT_JSON_SCHEMA["required"] == ["title", "language", "scenes"]
    assert "provider" not in SCRIPT_JSON_SCHEMA["properties"]
    assert SCRIPT_JSON_SCHEMA["properties"]["scenes"]["maxItems"] == 60


def test_it_says_which_writers_can_write_here(settings, tmp_path):
    settings.GEMINI_API_KEY = ""
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_BASE_URL = "https://api.openai.com/v1"
    settings.TRANSFORMERS_MODEL_PATH = ""
    settings.PACKAGED_MODELS_DIR = str(tmp_path / "no-models")

    assert [name for name in script_writers.names() if script_writers.get(name).available()] == [
        "structured"
    ]

    settings.GEMINI_API_KEY = "a-key"
    settings.OPENAI_BASE_URL = "http://127.0.0.1:11434/v1"  # a local server needs no key
    (tmp_path / "config.json").write_text("{}")
    settings.TRANSFORMERS_MODEL_PATH = str(tmp_path)

    assert {name for name in script_writers.names() if script_writers.get(name).available()} == {
        "structured",
        "gemini",
        "openai",
        "transformers",
    }
