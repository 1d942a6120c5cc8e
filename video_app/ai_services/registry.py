"""One registry per capability: providers register under a name, settings pick one by name.

voices = ProviderRegistry("voice", default="piper")

@voices.register("piper")
class PiperVoiceProvider: ...

voices.get()           # the provider named by settings.AI_PROVIDERS["voice"], else the default
voices.get("espeak")   # a named one
"""

from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


class ProviderRegistry(Generic[T]):
    def __init__(self, capability: str, *, default: str):
        self.capability = capability
        self.default = default
        self._factories: dict[str, Callable[[], T]] = {}

    def register(self, name: str):
        def decorator(factory):
            self._factories[name] = factory
            return factory

        return decorator

    def names(self) -> list[str]:
        return sorted(self._factories)

    def configured_name(self) -> str:
        return settings.AI_PROVIDERS.get(self.capability) or self.default

    def get(self, name: str | None = None) -> T:
        name = name or self.configured_name()
        try:
            factory = self._factories[name]
        except KeyError:
            raise ImproperlyConfigured(
                f"Unknown {self.capability} provider {name!r}; available: {', '.join(self.names())}"
            ) from None
        return factory()
