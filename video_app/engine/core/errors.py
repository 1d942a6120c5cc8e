"""Errors the engine raises. `message` is written for the person using the product; `detail`
carries the technical cause for logs and admin, and is never shown on a page."""


class EngineError(Exception):
    def __init__(self, message: str, *, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class InvalidInput(EngineError):
    """The user's input cannot be used (empty script, corrupt image, silent audio, ...)."""


class ProviderFailed(EngineError):
    """A provider timed out, refused, or returned something unusable."""


class RenderFailed(EngineError):
    """FFmpeg or the MoviePy engine could not produce the video."""


class ProviderRefused(ProviderFailed):
    """A provider said no for good (bad key, refused content): trying again won't help."""
