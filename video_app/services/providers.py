"""Which providers a creator may pick for a project: the offline defaults always, a cloud or
local provider once its key or model is configured (environment or admin)."""

from ..ai_services import credentials

# name -> (label, settings it needs)
SCRIPT_PROVIDERS = {
    "structured": ("Template-based writer (offline)", ()),
    "gemini": ("Google Gemini", ("GEMINI_API_KEY",)),
    "openai": ("OpenAI-compatible model", ("OPENAI_API_KEY",)),
    "transformers": ("Local language model", ("TRANSFORMERS_MODEL_PATH",)),
}
MEDIA_PROVIDERS = {
    "procedural": ("Designed pictures (offline)", ()),
    "pexels": ("Pexels stock photos and videos", ("PEXELS_API_KEY",)),
    "pixabay": ("Pixabay stock photos and videos", ("PIXABAY_API_KEY",)),
    "stability": ("Stability AI image generation", ("STABILITY_API_KEY",)),
}


def choices(providers: dict) -> list[tuple[str, str]]:
    """("", "Site default") first, then every provider that can work here."""
    return [("", "Site default")] + [
        (name, label) for name, (label, needs) in providers.items()
        if credentials.configured(*needs)
    ]  # fmt: skip


def label(providers: dict, name: str) -> str:
    return providers.get(name, (name,))[0]
