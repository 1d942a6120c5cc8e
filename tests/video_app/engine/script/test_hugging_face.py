"""The local model writer: a Hugging Face model folder loaded offline, its answer checked like
any cloud writer's, and a sentence saying what to set up when the model can't be used.

The model is a tiny GPT-2 with random weights, built here: it writes garbage, which is exactly
what the writer must refuse to turn into a script.
"""

import json
import os
import socket
import sys

import pytest

from video_app.engine.core.errors import ProviderFailed, ProviderRefused
from video_app.engine.script import ScriptRequest, hugging_face, write_script

# A real (tiny) language model is built and run.
pytestmark = pytest.mark.slow

SOLAR = ScriptRequest(topic="solar panels", description="A home battery keeps the lights on.")
GOOD_ANSWER = json.dumps(
    {
        "title": "Solar panels at home",
        "language": "en",
        "scenes": [
            {"narration": "Your roof can power your home.", "visual_description": "Solar roof"},
            {"narration": "Follow for more.", "visual_description": "A sunny porch"},
        ],
    }
)
# A minimal chat template, to run the path that real instruction-tuned models take.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message.role }}|>{{ message.content }}<eos>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


@pytest.fixture(autouse=True)
def fresh_model_cache(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # restored after the test
    hugging_face.load_model.cache_clear()
    yield
    hugging_face.load_model.cache_clear()


@pytest.fixture(scope="module", params=["plain", "chat template"])
def tiny_model(request, tmp_path_factory):
    """A folder like a downloaded model's: config, safetensors weights and a tokenizer."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    words = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = [GOOD_ANSWER, "Topic Brief Platform Length Tone Language scenes narration"]
    words.train_from_iterator(corpus, trainers.WordLevelTrainer(special_tokens=["[UNK]", "<eos>"]))
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=words, unk_token="[UNK]", eos_token="<eos>", pad_token="<eos>"
    )
    if request.param == "chat template":
        tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = GPT2Config(
        n_layer=1,
        n_head=2,
        n_embd=32,
        n_positions=4096,
        vocab_size=tokenizer.vocab_size,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    folder = tmp_path_factory.mktemp("tiny-gpt2")
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the local model writer tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_it_loads_the_model_offline_and_refuses_its_garbage(
    tiny_model, settings, monkeypatch, no_network, calls
):
    settings.TRANSFORMERS_MODEL_PATH = str(tiny_model)
    monkeypatch.setattr(hugging_face, "MAX_NEW_TOKENS", 300)  # garbage either way

    with pytest.raises(ProviderFailed) as failure:
        write_script(SOLAR, provider="transformers")

    assert not isinstance(failure.value, ProviderRefused)
    assert failure.value.message.startswith("The local model wrote a script that could not be used")
    # Two answers: the first and the one repair.
    assert [(call.provider, call.unit) for call in calls] == [("The local model", "tokens")] * 2
    assert all(call.units > 300 for call in calls)
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_it_turns_a_good_answer_into_a_script_after_one_repair(tiny_model, settings, monkeypatch):
    settings.TRANSFORMERS_MODEL_PATH = str(tiny_model)
    answers = iter(["The script: scene one...", GOOD_ANSWER])
    conversations = []

    def answer(tokenizer, model, conversation):
        conversations.append(conversation)
        return next(answers)

    monkeypatch.setattr(hugging_face, "generate", answer)

    draft = write_script(SOLAR, provider="transformers")

    assert draft.provider == "transformers"
    assert not draft.template_based
    assert [scene.narration for scene in draft.scenes] == [
        "Your roof can power your home.",
        "Follow for more.",
    ]
    assert [turn["role"] for turn in conversations[1]] == ["system", "user", "assistant", "user"]
    assert conversations[1][2]["content"] == "The script: scene one..."
    assert "not JSON" in conversations[1][3]["content"]


def test_it_loads_a_model_folder_once(tiny_model, settings, monkeypatch):
    settings.TRANSFORMERS_MODEL_PATH = str(tiny_model)
    monkeypatch.setattr(hugging_face, "generate", lambda *args: GOOD_ANSWER)

    write_script(SOLAR, provider="transformers")
    write_script(SOLAR, provider="transformers")

    assert hugging_face.load_model.cache_info().misses == 1


def test_it_asks_for_a_model_folder(settings):
    settings.TRANSFORMERS_MODEL_PATH = ""

    with pytest.raises(ProviderRefused) as refusal:
        write_script(SOLAR, provider="transformers")

    assert "set TRANSFORMERS_MODEL_PATH" in refusal.value.message


def test_it_says_when_the_folder_holds_no_model(settings, tmp_path):
    settings.TRANSFORMERS_MODEL_PATH = str(tmp_path)

    with pytest.raises(ProviderRefused) as refusal:
        write_script(SOLAR, provider="transformers")

    assert refusal.value.message.startswith("The local model's folder holds no model.")
    assert str(tmp_path) in refusal.value.detail


def test_it_says_what_to_install_without_torch(settings, tmp_path, monkeypatch):
    (tmp_path / "config.json").write_text("{}")
    settings.TRANSFORMERS_MODEL_PATH = str(tmp_path)
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails

    with pytest.raises(ProviderRefused) as refusal:
        write_script(SOLAR, provider="transformers")

    assert "needs the torch and transformers Python packages" in refusal.value.message
