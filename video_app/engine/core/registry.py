"""One registry per capability: a table of provider names and the dotted paths of their factories,
imported on first use, so a stage never imports its providers and nothing imports in a cycle.

voice_providers = ProviderRegistry("voice", default="piper", providers={
    "piper": "video_app.engine.voice.piper.PiperVoiceProvider",
    "espeak": "video_app.engine.voice.espeak.EspeakVoiceProvider",
})

voice_providers.get()          # settings.AI_PROVIDERS["voice"]'s provider, else the default
voice_providers.get("espeak")  # a named one, its module imported now if it was not yet
"""

from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

T = TypeVar("T")


class ProviderRegistry(Generic[T]):
    def __init__(self, capability: str, *, default: str, providers: Mapping[str, str]):
        self.capability = capability
        self.default = default
        self.providers = dict(providers)  # name -> "dotted.path.Factory"

    def names(self) -> list[str]:
        return sorted(self.providers)

    def configured_name(self) -> str:
        return settings.AI_PROVIDERS.get(self.capability) or self.default

    def factory(self, name: str) -> Callable[[], T]:
        try:
            path = self.providers[name]
        except KeyError:
            raise ImproperlyConfigured(
                f"Unknown {self.capability} provider {name!r}; available: {', '.join(self.names())}"
            ) from None
        return import_string(path)

    def get(self, name: str | None = None) -> T:
        return self.factory(name or self.configured_name())()
