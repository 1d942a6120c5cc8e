"""Pages outside the wizard: home, sign-up and the health check."""

import math
import time

from django.contrib import messages
from django.contrib.auth import login
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..forms import SignupForm
from ..security import rate_limits


def home(request):
    return render(request, "video_app/home.html")


def signup(request):
    if request.user.is_authenticated:
        return redirect("video_app:dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if wait_s := rate_limits.signup_wait_s(request.META.get("REMOTE_ADDR", ""), time.time()):
            form.add_error(
                None,
                "Too many accounts were made from your network in the last hour. "
                f"Try again in {math.ceil(wait_s / 60)} minutes.",
            )
            return render(request, "registration/signup.html", {"form": form}, status=429)
        user = form.save()
        login(request, user, backend="video_app.auth_backends.UsernameOrEmailBackend")
        messages.success(request, f"Welcome, {user.get_username()}! Your account is ready.")
        return redirect("video_app:dashboard")
    return render(request, "registration/signup.html", {"form": form})


@require_GET
@never_cache
def healthz(request):
    """Liveness for load balancers and compose: the process answers and the database responds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
