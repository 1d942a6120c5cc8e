"""Provider keys kept by staff in admin: the lookup `engine.core.credentials` falls back to when
the environment has no value. Cached briefly so a render's many calls read the table once."""

from django.core.cache import cache

from ..models import ProviderKey

CACHE_KEY = "provider-keys"
CACHE_S = 60

# The settings a key can be stored for (what admin offers).
KEY_NAMES = (
    "GEMINI_API_KEY",
    "OPENAI_API_KEY",
    "PEXELS_API_KEY",
    "PIXABAY_API_KEY",
    "STABILITY_API_KEY",
)


def lookup(name: str) -> str | None:
    keys = cache.get(CACHE_KEY)
    if keys is None:
        keys = dict(ProviderKey.objects.values_list("name", "value"))
        cache.set(CACHE_KEY, keys, CACHE_S)
    return keys.get(name) or None


def forget_cached_keys(**kwargs) -> None:
    cache.delete(CACHE_KEY)
