"""A script writer that runs a Hugging Face causal language model on this machine
("transformers"): no key, no network, no cost per call. The model is the folder named by
TRANSFORMERS_MODEL_PATH (config.json, weights, tokenizer), loaded offline, never downloaded, and
kept in memory. Prompt, JSON checks and the one repair request are the cloud writers'
(chat).

torch and transformers are optional: without them this writer explains what to install.
"""

import functools
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from ..core import usage
from ..core.errors import ProviderFailed, ProviderRefused
from .base import ScriptDraft, ScriptRequest
from .chat import Conversation, draft_with_one_repair

LABEL = "The local model"
# A script of 60 scenes is about 4,000 tokens of JSON; most are well under 2,000.
MAX_NEW_TOKENS = 4096
# Fewer free tokens than this after the prompt can't hold a script.
MIN_NEW_TOKENS = 256
# A plain-text chat for tokenizers without a chat template (base models).
_ROLE_NAMES = {"user": "User", "assistant": "Assistant"}


class TransformersScriptWriter:
    name = "transformers"

    def available(self) -> bool:
        path = settings.TRANSFORMERS_MODEL_PATH
        return bool(path) and (Path(path) / "config.json").is_file()

    def write(self, request: ScriptRequest) -> ScriptDraft:
        tokenizer, model = load_model(_model_folder())
        return draft_with_one_repair(
            lambda conversation: generate(tokenizer, model, conversation),
            request,
            provider=self.name,
            label=LABEL,
        )


def _model_folder() -> str:
    path = settings.TRANSFORMERS_MODEL_PATH
    if not path:
        raise ProviderRefused(
            "No local model is set up. Ask your administrator to set TRANSFORMERS_MODEL_PATH to "
            "a folder holding a Hugging Face language model.",
            detail="transformers: TRANSFORMERS_MODEL_PATH is empty",
        )
    if not (Path(path) / "config.json").is_file():
        raise ProviderRefused(
            "The local model's folder holds no model. Ask your administrator to check "
            "TRANSFORMERS_MODEL_PATH.",
            detail=f"transformers: no config.json in {path}",
        )
    return str(Path(path).resolve())


@functools.lru_cache(maxsize=1)  # a model takes gigabytes: only the configured one stays loaded
def load_model(path: str) -> tuple[Any, Any]:
    """The tokenizer and model of the folder `path`, from its files only. Code shipped in the
    folder is never run (trust_remote_code stays off)."""
    # Read by huggingface_hub when it is first imported: no request to the Hub from here on.
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        import torch  # noqa: F401 - transformers imports without it, then fails on first use
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as transformers_logging
    except ImportError as error:
        raise ProviderRefused(
            "The local model writer needs the torch and transformers Python packages. Ask your "
            "administrator to install them, or choose another script writer.",
            detail=f"transformers: {error}",
        ) from error
    transformers_logging.disable_progress_bar()  # no progress bars in worker logs
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, KeyError) as error:
        raise ProviderRefused(
            "The local model could not be loaded. Ask your administrator to check the folder "
            "in TRANSFORMERS_MODEL_PATH.",
            detail=f"transformers: {path}: {type(error).__name__}: {error}"[:2000],
        ) from error
    model.eval()
    return tokenizer, model


def generate(tokenizer: Any, model: Any, conversation: Conversation) -> str:
    """The model's answer to `conversation`, decoded greedily (the same prompt gives the same
    script)."""
    import torch

    inputs = _prompt_tokens(tokenizer, conversation)
    prompt_tokens = inputs["input_ids"].shape[1]
    # Models that don't say how long their context is get the benefit of the doubt.
    context = getattr(model.config, "max_position_embeddings", None) or 1_000_000
    new_tokens = min(MAX_NEW_TOKENS, context - prompt_tokens)
    if new_tokens < MIN_NEW_TOKENS:
        raise ProviderRefused(
            "The local model can't take a request this long. Shorten the brief, or choose "
            "another script writer.",
            detail=f"transformers: prompt of {prompt_tokens} tokens, context of {context}",
        )
    started = time.monotonic()
    try:
        with torch.inference_mode():
            output = model.generate(
                **inputs,
                max_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            )
    except RuntimeError as error:  # out of memory, above all
        raise ProviderFailed(
            "The local model stopped while writing the script. Try again, or choose another "
            "script writer.",
            detail=f"transformers: {error}"[:2000],
        ) from error
    answer_ids = output[0, prompt_tokens:]
    usage.record(
        usage.CallRecord(
            provider=LABEL,
            capability="script",
            units=prompt_tokens + len(answer_ids),
            unit="tokens",
            outcome="ok",
            duration_s=time.monotonic() - started,
        )
    )
    return tokenizer.decode(answer_ids, skip_special_tokens=True)


def _prompt_tokens(tokenizer: Any, conversation: Conversation) -> Any:
    """The conversation as the model's input ids. The instructions go into the first user turn:
    some chat templates (Gemma's) have no system role. The creator's text is encoded as text even
    where it spells a control token."""
    system, first, *rest = conversation
    turns = [{"role": "user", "content": f"{system['content']}\n\n{first['content']}"}, *rest]
    if tokenizer.chat_template:
        return tokenizer.apply_chat_template(
            turns,
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            sanitize_control_tokens=True,
        )
    text = "".join(f"{_ROLE_NAMES[turn['role']]}:\n{turn['content']}\n\n" for turn in turns)
    return tokenizer(f"{text}Assistant:\n", return_tensors="pt", split_special_tokens=True)
