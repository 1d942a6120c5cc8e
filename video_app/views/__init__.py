"""Views of the product, one module per area. Each view checks access, validates a form, calls
one service, then renders or redirects; state changes are POST only."""

from .pages import healthz, home, signup

__all__ = ["healthz", "home", "signup"]
