"""The account page where a creator gets an API token (or replaces or revokes it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from . import tokens


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def token_page(request):
    new_key = ""
    if request.method == "POST":
        if "revoke" in request.POST:
            tokens.token_revoke(user=request.user)
            messages.success(request, "Your API token was revoked; scripts using it stop working.")
            return redirect("api:token")
        # Shown once, in this answer only: the page never shows a stored token again.
        new_key = tokens.token_replace(user=request.user).key
    return render(
        request,
        "api/token.html",
        {
            "token": Token.objects.filter(user=request.user).first(),
            "new_key": new_key,
        },
    )
