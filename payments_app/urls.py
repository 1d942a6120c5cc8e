from django.urls import path

from . import views

app_name = "payments_app"

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("billing/", views.billing, name="billing"),
    path("billing/checkout/<slug:slug>/", views.checkout, name="checkout"),
    path("billing/success/", views.checkout_success, name="checkout_success"),
    path("billing/cancel/", views.checkout_cancel, name="checkout_cancel"),
    path("billing/portal/", views.billing_portal, name="portal"),
]
