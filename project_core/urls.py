"""Top-level URLs: the product, its REST API, billing, accounts, admin and Stripe's webhooks."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from video_app import views as video_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signup/", video_views.signup, name="signup"),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(
            extra_email_context={"PRODUCT_NAME": settings.PRODUCT_NAME}
        ),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # dj-stripe's webhook receiver: /stripe/webhook/<endpoint uuid>/
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("api/", include("video_app.api.urls")),
    path("", include("payments_app.urls")),
    path("", include("video_app.urls")),
]

if "debug_toolbar" in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()
