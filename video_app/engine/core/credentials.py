"""API keys and endpoints of cloud providers, by setting name ("PEXELS_API_KEY").

The environment (through Django settings) comes first; operators may also keep keys in admin
(`video_app.services.provider_keys` registers that lookup). Keys are read at call time and
passed to clients only: never into task arguments, logs or pages.
"""

from collections.abc import Callable

from django.conf import settings

_lookups: list[Callable[[str], str | None]] = []


def add_lookup(lookup: Callable[[str], str | None]) -> None:
    if lookup not in _lookups:
        _lookups.append(lookup)


def get(name: str, default: str = "") -> str:
    value = getattr(settings, name, "") or ""
    if value:
        return value
    for lookup in _lookups:
        found = lookup(name)
        if found:
            return found
    return default


def configured(*names: str) -> bool:
    return all(get(name) for name in names)
