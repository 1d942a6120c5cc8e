"""The plans a new installation starts with, created after every `migrate` when missing (staff
then edit them in admin). Creator and Pro take their Stripe Price ids from the environment."""

from django.conf import settings
from django.db import router

BUILTIN = [
    # slug, name, description, price, renders/period, max s, max height, watermark, concurrent,
    # priority, position, API calls per hour, storage for uploads (MB)
    ("free", "Free", "Try the whole product.", "Free", 5, 60, 720, True, 1, 0, 0, 100, 1024),
    (
        "creator",
        "Creator",
        "For a regular channel.",
        "$12 / month",
        40,
        180,
        1080,
        False,
        2,
        5,
        1,
        1000,
        20 * 1024,
    ),
    (
        "pro",
        "Pro",
        "For teams and daily publishing.",
        "$39 / month",
        None,
        600,
        1080,
        False,
        4,
        9,
        2,
        5000,
        100 * 1024,
    ),
]


def install_builtin_plans(using="default", **kwargs):
    from .models import Plan

    if not router.allow_migrate_model(using, Plan):
        return
    prices = {
        "creator": getattr(settings, "STRIPE_PRICE_CREATOR", ""),
        "pro": getattr(settings, "STRIPE_PRICE_PRO", ""),
    }
    for (
        slug,
        name,
        description,
        price,
        renders,
        max_s,
        height,
        watermark,
        concurrent,
        priority,
        position,
        api_rate,
        storage_mb,
    ) in BUILTIN:
        Plan.objects.using(using).get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "price_label": price,
                "renders_per_period": renders,
                "max_video_s": max_s,
                "max_height_px": height,
                "watermark": watermark,
                "concurrent_renders": concurrent,
                "queue_priority": priority,
                "position": position,
                "is_default": slug == "free",
                "stripe_price_id": prices.get(slug, ""),
                "api_requests_per_hour": api_rate,
                "storage_quota_mb": storage_mb,
            },
        )
