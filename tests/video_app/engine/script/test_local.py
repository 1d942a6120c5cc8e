"""The local script writer: the packaged model writes a script in the product's format from the
creator's brief, without template phrases, labels or invented facts; a bad answer is cleaned or
repaired once; a missing model, a slow model or two bad answers end in a readable message, and
the template writer takes over, saying so.

One real model is loaded for the module (two generations, about a minute); the other tests give
the writer canned answers at its only seam, the completion function.
"""

import json
import string

import pytest

from video_app.engine.core.errors import ProviderFailed, ProviderRefused
from video_app.engine.script import ScriptRequest, local, write_script
from video_app.engine.script.phrases import ENGLISH

# The packaged language model writes for real: seconds to minutes a test.
pytestmark = pytest.mark.slow

BEES = ScriptRequest(
    topic="How honeybees make honey",
    description="Bees collect nectar from flowers. They store it in wax cells in the hive and "
    "fan it with their wings until the water evaporates. Then they seal the cells with wax.",
    platform="youtube",
    target_duration_s=30,
)
TOMATOES = ScriptRequest(
    topic="Growing tomatoes on a balcony",
    description="Use a deep pot. Give them six hours of sun. Water at the base in the morning.",
    platform="tiktok",
    target_duration_s=15,
    template="listicle",
)


def answer(*scenes: tuple[str, str], title: str = "Honey, made by bees") -> str:
    return json.dumps(
        {
            "title": title,
            "scenes": [
                {"narration": narration, "visual_description": visual}
                for narration, visual in scenes
            ],
        }
    )


GROUNDED = answer(
    ("Ever wondered where honey really comes from?", "A bee landing on a yellow flower"),
    ("Bees carry nectar home and store it in wax cells.", "Wax cells in a hive"),
    ("They fan it with their wings, then seal it with wax.", "Bees fanning a honeycomb"),
)


class CannedModel:
    """Answers in turn, recording each conversation it was given."""

    def __init__(self, *answers: str):
        self.answers = list(answers)
        self.conversations = []

    def __call__(self, conversation, json_schema, max_tokens, deadline):
        self.conversations.append(conversation)
        return self.answers.pop(0)


@pytest.fixture(scope="module")
def model_writer():
    return local.LocalScriptWriter()


def template_phrases() -> list[str]:
    """The fixed words of the English phrase tables: each piece between placeholders."""
    tables = [ENGLISH.hooks, ENGLISH.ctas, ENGLISH.actions, ENGLISH.openers, ENGLISH.closers]
    tables += [ENGLISH.counters, ENGLISH.titles]
    pieces = []
    for table in tables:
        for phrase in table.values():
            for literal, *_ in string.Formatter().parse(phrase):
                pieces.extend(p for p in literal.split(".") if len(p.strip()) > 12)
    for frames in ENGLISH.bodies.values():
        for frame in frames:
            pieces.extend(lit for lit, *_ in string.Formatter().parse(frame) if len(lit) > 12)
    return [piece.strip().casefold() for piece in pieces]


def test_it_writes_an_english_script_from_the_brief(model_writer):
    draft = model_writer.write(BEES)

    text = draft.as_text()
    paragraphs = text.split("\n\n")
    assert len(paragraphs) >= 3
    assert all(paragraph.startswith("[") and "] " in paragraph for paragraph in paragraphs)
    assert all(scene.visual_description for scene in draft.scenes)
    assert not [piece for piece in template_phrases() if piece in text.casefold()]
    for label in ("Title:", "Hook:", "Scene 1", "**", "Welcome", "In this video"):
        assert label not in text
    assert local.invented_facts(draft, BEES) == []
    assert draft.provider == "local" and not draft.template_based
    assert 40 <= len(" ".join(scene.narration for scene in draft.scenes).split()) <= 200


def test_it_stops_a_script_at_the_time_limit(model_writer, settings):
    settings.SCRIPT_MODEL_TIMEOUT_S = 0.5

    with pytest.raises(ProviderFailed, match="took too long"):
        model_writer.write(TOMATOES)


def test_it_takes_out_labels_markdown_and_template_lines():
    model = CannedModel(
        answer(
            ("**Hook:** Why do tomatoes love a deep pot? #gardening", "[A picture of a pot]"),
            ("Title: Give them six hours of sun. 🍅", "Image of a sunny balcony"),
            ("1. Water at the base in the morning.", "A watering can"),
            ("Water at the base in the morning. Subscribe for more!", "A tomato plant"),
            title="Title: **Balcony tomatoes**",
        )
    )

    draft = local.LocalScriptWriter(complete=model).write(TOMATOES)

    assert draft.title == "Balcony tomatoes"
    assert [scene.narration for scene in draft.scenes] == [
        "Why do tomatoes love a deep pot?",
        "Give them six hours of sun.",
        "Water at the base in the morning.",
    ]
    assert [scene.visual_description for scene in draft.scenes] == [
        "A pot",
        "A sunny balcony",
        "A watering can",
    ]
    assert len(model.conversations) == 1


def test_it_asks_again_when_the_answer_invents_facts():
    invented = answer(
        ("In 1851 Lorenzo Langstroth built the first modern hive.", "A wooden hive"),
        ("Bees carry nectar home.", "A bee on a flower"),
        ("They seal the cells with wax.", "Honeycomb"),
    )
    model = CannedModel(invented, GROUNDED)

    draft = local.LocalScriptWriter(complete=model).write(BEES)

    assert draft.scenes[0].narration == "Ever wondered where honey really comes from?"
    repair = model.conversations[1][-1]["content"]
    assert "1851, Lorenzo, Langstroth" in repair
    assert repair.startswith("Topic: How honeybees make honey")  # the request, not the answer


def test_it_accepts_the_brief_s_own_numbers_and_names():
    request = BEES.model_copy(
        update={"description": f"{BEES.description} Since 1851, Langstroth hives."}
    )
    draft = local.checked_answer(
        answer(
            ("Since 1851, Langstroth hives have held the cells.", "A wooden hive"),
            ("I love how Bees fan the cells.", "Bees"),
        ),
        request,
    )

    assert local.invented_facts(draft, request) == []


def test_it_drops_invented_sentences_from_a_repaired_answer_that_still_has_them():
    still_invented = answer(
        ("Ever wondered where honey comes from? Aristotle did, in 340 BC.", "A bee"),
        ("Bees carry nectar home and store it in wax cells.", "Wax cells"),
        ("They fan it with their wings, then seal it with wax.", "Honeycomb"),
    )
    model = CannedModel(still_invented, still_invented)

    draft = local.LocalScriptWriter(complete=model).write(BEES)

    assert draft.scenes[0].narration == "Ever wondered where honey comes from?"
    assert "Aristotle" not in draft.as_text()


def test_it_gives_up_after_two_unusable_answers():
    model = CannedModel("Title: Honey\nHook: Bees are great.", "Sorry, here it is: {")

    with pytest.raises(ProviderFailed) as failure:
        local.LocalScriptWriter(complete=model).write(BEES)

    assert failure.value.message.startswith("The local script model wrote a script that could")
    assert "not JSON" in failure.value.detail


def test_it_refuses_a_language_it_does_not_write_well():
    spanish = BEES.model_copy(update={"language": "es"})

    with pytest.raises(ProviderRefused, match="in English only"):
        local.LocalScriptWriter(complete=CannedModel()).write(spanish)


def test_without_the_model_the_template_writer_takes_over_and_says_so(settings, tmp_path):
    settings.PACKAGED_MODELS_DIR = tmp_path
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "script": "local"}

    with pytest.raises(ProviderRefused) as failure:
        local.LocalScriptWriter().write(BEES)
    draft = write_script(BEES, fallback=True)
    note, text = draft.fallback_reason, draft.as_text()

    assert "not installed" in failure.value.message
    assert "make install" in failure.value.message
    assert "not installed" in note and "A template-based script was written instead." in note
    assert text.startswith("[")
