"""The built-in templates, shipped as data: created after every `migrate` (and test flush) by a
post_migrate handler, the way Django installs its permissions. Staff may add more in admin;
their previews are drawn on first view (services/template_previews.py)."""

BUILTIN = [
    ("explainer", "Explainer", "Make one idea clear, step by step.", "EDUC", 1, "EDU", 60, "fade"),
    (
        "listicle",
        "Listicle",
        "A countdown of points that keeps viewers to the end.",
        "SOCL",
        1,
        "MEDIA",
        45,
        "slideleft",
    ),
    (
        "promo",
        "Promo",
        "Announce an offer with a strong hook and a clear call to action.",
        "PROMO",
        1,
        "RETL",
        30,
        "circleopen",
    ),
    (
        "tutorial",
        "Tutorial",
        "Teach a task in short, numbered steps.",
        "EDUC",
        2,
        "TECH",
        90,
        "fade",
    ),
    (
        "story",
        "Story",
        "Tell a short story with a beginning, a turn and an end.",
        "STORY",
        2,
        "MEDIA",
        60,
        "dissolve",
    ),
    (
        "news",
        "News brief",
        "Summarise what happened and why it matters.",
        "NEWS",
        2,
        "MEDIA",
        45,
        "slideup",
    ),
    (
        "quote",
        "Quote",
        "One memorable line, given room to land.",
        "SOCL",
        1,
        "GEN",
        20,
        "fadeblack",
    ),
    (
        "product",
        "Product showcase",
        "Show what a product does and who it is for.",
        "PROMO",
        2,
        "RETL",
        45,
        "slideleft",
    ),
]


def install_builtin_templates(using="default", **kwargs):
    """Create the built-in templates that are missing; staff edits to existing ones are kept."""
    from django.db import router

    from .models import VideoTemplate

    if not router.allow_migrate_model(using, VideoTemplate):  # e.g. the channel layer's database
        return
    for slug, name, description, category, level, industry, duration, transition in BUILTIN:
        VideoTemplate.objects.using(using).get_or_create(
            slug=slug,
            defaults={
                "name": name, "description": description, "category": category,
                "difficulty_level": level, "industry": industry, "estimated_duration": duration,
                "json_structure": {
                    "scenes": [{"duration": 5.0, "elements": [{
                        "type": "text", "position": {"x": 0.5, "y": 0.5},
                        "size": {"width": 0.8, "height": 0.2}, "content": name,
                        "effects": ["fade_in"],
                    }]}],
                    "transitions": [{"type": transition, "duration": 0.5}],
                },
            },
        )  # fmt: skip
