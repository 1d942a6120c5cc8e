"""Which providers a creator may pick for a project: the offline defaults once their packaged
model is installed, a cloud or local provider once its key or model is configured (environment
or admin)."""

from ..engine.core import credentials, packaged_models

# name -> (label, settings it needs)
SCRIPT_PROVIDERS = {
    "local": ("Packaged language model (offline, English)", ()),
    "structured": ("Template-based writer (offline)", ()),
    "gemini": ("Google Gemini", ("GEMINI_API_KEY",)),
    "openai": ("OpenAI-compatible model", ("OPENAI_API_KEY",)),
    "transformers": ("Your own language model (transformers)", ("TRANSFORMERS_MODEL_PATH",)),
}
MEDIA_PROVIDERS = {
    "illustrated": ("Illustrated scenes (offline)", ()),
    "procedural": ("Designed typographic cards (offline)", ()),
    "pexels": ("Pexels stock photos and videos", ("PEXELS_API_KEY",)),
    "pixabay": ("Pixabay stock photos and videos", ("PIXABAY_API_KEY",)),
    "stability": ("Stability AI image generation", ("STABILITY_API_KEY",)),
}


# Offline providers that run a packaged model (engine/core/packaged_models.py).
PACKAGED_MODEL = {"local": "script-model", "illustrated": "art"}


def choices(providers: dict) -> list[tuple[str, str]]:
    """("", "Site default") first, then every provider that can work here."""
    return [("", "Site default")] + [
        (name, label)
        for name, (label, needs) in providers.items()
        if credentials.configured(*needs) and _installed(name)
    ]


def _installed(name: str) -> bool:
    return name not in PACKAGED_MODEL or packaged_models.is_installed(PACKAGED_MODEL[name])


def label(providers: dict, name: str) -> str:
    return providers.get(name, (name,))[0]
