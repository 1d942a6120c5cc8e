"""Tell the user, on the next page, that they have logged in or out."""

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver


@receiver(user_logged_in)
def greet_on_login(sender, request, user, **kwargs):
    # Sign-up logs the new user in and says its own welcome.
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "signup":
        return
    if request is not None and hasattr(request, "_messages"):
        messages.success(request, f"Welcome back, {user.get_username()}.")


@receiver(user_logged_out)
def confirm_logout(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "_messages"):
        messages.info(request, "You have been logged out.")
