"""The built-in templates, shipped as data: created after every `migrate` (and test flush) by a
post_migrate handler, the way Django installs its permissions. Staff may add more in admin, or
edit these; an edit is kept. Each structure is a recipe (template_structure.py) that sets the
video's pacing, captions, transitions, cards and music; previews are drawn from it on first view
(services/template_previews.py).
"""

import copy

from .template_structure import Recipe, recipe_from_structure

VERSION = 2  # the structures below; rows created by version 1 held a one-scene placeholder


def _text(content: str = "{title}", *effects: str) -> dict:
    """The centred title element of a pattern's first scene."""
    return {
        "type": "text",
        "position": {"x": 0.5, "y": 0.5},
        "size": {"width": 0.8, "height": 0.2},
        "content": content,
        "effects": list(effects),
    }


BUILTIN = [
    {
        "slug": "explainer",
        "name": "Explainer",
        "description": "Make one idea clear, step by step.",
        "category": "EDUC",
        "difficulty_level": 1,
        "industry": "EDU",
        "estimated_duration": 60,
        "json_structure": {
            "version": VERSION,
            "scenes": [{"duration": 2.0, "elements": [_text("{title}", "fade_in")]}],
            "transitions": [{"type": "fade", "duration": 0.5}],
            "render": {
                "writer": "explainer",
                "pacing": {"lead_s": 0.3, "tail_s": 0.5, "min_scene_s": 2.0},
                "captions": "platform",
                "title_card": {"show": True, "seconds": 2.5},
                "outro_card": {"show": True, "text": "Thanks for watching", "seconds": 3.0},
                "music": {"mood": "corporate", "level_db": -24},
                "style": "modern",
            },
        },
    },
    {
        "slug": "listicle",
        "name": "Listicle",
        "description": "A countdown of points that keeps viewers to the end.",
        "category": "SOCL",
        "difficulty_level": 1,
        "industry": "MEDIA",
        "estimated_duration": 45,
        "json_structure": {
            "version": VERSION,
            "scenes": [
                {"duration": 2.0, "elements": [_text("{title}", "pan_right")]},
                {"duration": 2.0, "elements": [{"type": "image", "effects": ["pan_left"]}]},
            ],
            "transitions": [{"type": "slideleft", "duration": 0.4}],
            "render": {
                "writer": "listicle",
                "scene_count": {"min": 3, "max": 12},
                "pacing": {"lead_s": 0.2, "tail_s": 0.35, "min_scene_s": 2.0},
                "captions": "word_highlight",
                "title_card": {"show": True, "seconds": 2.0},
                "outro_card": {"show": True, "text": "Which one surprised you?", "seconds": 2.5},
                "music": {"mood": "upbeat", "level_db": -20},
                "style": "warm",
            },
        },
    },
    {
        "slug": "promo",
        "name": "Promo",
        "description": "Announce an offer with a strong hook and a clear call to action.",
        "category": "PROMO",
        "difficulty_level": 1,
        "industry": "RETL",
        "estimated_duration": 30,
        "json_structure": {
            "version": VERSION,
            "scenes": [{"duration": 2.0, "elements": [_text("{title}", "zoom_in")]}],
            "transitions": [{"type": "circleopen", "duration": 0.35}],
            "render": {
                "writer": "promo",
                "scene_count": {"min": 3, "max": 6},
                "pacing": {"lead_s": 0.15, "tail_s": 0.25, "min_scene_s": 2.0},
                "captions": "word_highlight",
                "title_card": {"show": True, "seconds": 1.5},
                "outro_card": {"show": True, "text": "Try it today", "seconds": 2.5},
                "music": {"mood": "upbeat", "level_db": -16},
                "style": "bold",
            },
        },
    },
    {
        "slug": "tutorial",
        "name": "Tutorial",
        "description": "Teach a task in short, numbered steps.",
        "category": "EDUC",
        "difficulty_level": 2,
        "industry": "TECH",
        "estimated_duration": 90,
        "json_structure": {
            "version": VERSION,
            # Still pictures: a step is easier to follow on a frame that holds still.
            "scenes": [{"duration": 3.0, "elements": [_text("{title}", "none")]}],
            "transitions": [{"type": "fade", "duration": 0.5}],
            "render": {
                "writer": "tutorial",
                "scene_count": {"max": 15},
                "pacing": {"lead_s": 0.4, "tail_s": 0.8, "min_scene_s": 2.5},
                "captions": "lower_third",
                "title_card": {"show": True, "seconds": 2.5},
                "outro_card": {"show": True, "text": "Now it's your turn", "seconds": 3.0},
                "music": {"mood": "calm", "level_db": -26},
                "style": "minimal",
            },
        },
    },
    {
        "slug": "story",
        "name": "Story",
        "description": "Tell a short story with a beginning, a turn and an end.",
        "category": "STORY",
        "difficulty_level": 2,
        "industry": "MEDIA",
        "estimated_duration": 60,
        "json_structure": {
            "version": VERSION,
            "scenes": [
                {"duration": 4.0, "elements": [_text("{title}", "zoom_in")]},
                {"duration": 4.0, "elements": [{"type": "image", "effects": ["pan_right"]}]},
                {"duration": 4.0, "elements": [{"type": "image", "effects": ["zoom_out"]}]},
                {"duration": 4.0, "elements": [{"type": "image", "effects": ["pan_left"]}]},
            ],
            "transitions": [{"type": "dissolve", "duration": 0.8}],
            "render": {
                "writer": "story",
                "scene_count": {"max": 10},
                "pacing": {"lead_s": 0.6, "tail_s": 1.0, "min_scene_s": 3.0},
                "captions": "lower_third",
                "title_card": {"show": True, "seconds": 3.0},
                "outro_card": {"show": True, "text": "The end", "seconds": 3.0},
                "music": {"mood": "cinematic", "level_db": -18},
                "style": "nature",
            },
        },
    },
    {
        "slug": "news",
        "name": "News brief",
        "description": "Summarise what happened and why it matters.",
        "category": "NEWS",
        "difficulty_level": 2,
        "industry": "MEDIA",
        "estimated_duration": 45,
        "json_structure": {
            "version": VERSION,
            "scenes": [{"duration": 2.0, "elements": [_text("{title}", "pan_right")]}],
            "transitions": [{"type": "slideup", "duration": 0.3}],
            "render": {
                "writer": "news",
                "scene_count": {"min": 2, "max": 8},
                "pacing": {"lead_s": 0.2, "tail_s": 0.4, "min_scene_s": 2.0},
                # Lower thirds on every shape, vertical too: the look of a news ticker.
                "captions": "lower_third",
                "title_card": {"show": True, "seconds": 2.0},
                "outro_card": {"show": True, "text": "Stay informed", "seconds": 2.5},
                "music": {"mood": "none"},
                "style": "tech",
            },
        },
    },
    {
        "slug": "quote",
        "name": "Quote",
        "description": "One memorable line, given room to land.",
        "category": "SOCL",
        "difficulty_level": 1,
        "industry": "GEN",
        "estimated_duration": 20,
        "json_structure": {
            "version": VERSION,
            "scenes": [{"duration": 5.0, "elements": [_text("{title}", "zoom_in")]}],
            "transitions": [{"type": "fadeblack", "duration": 1.0}],
            "render": {
                "writer": "quote",
                "scene_count": {"max": 3},
                "pacing": {"lead_s": 1.0, "tail_s": 1.5, "min_scene_s": 4.0},
                "captions": "centred",
                # The words open the video: no title card in front of them.
                "title_card": {"show": False},
                "outro_card": {"show": True, "text": "Share if this spoke to you", "seconds": 3.5},
                "music": {"mood": "calm", "level_db": -18},
                "style": "warm",
            },
        },
    },
    {
        "slug": "product",
        "name": "Product showcase",
        "description": "Show what a product does and who it is for.",
        "category": "PROMO",
        "difficulty_level": 2,
        "industry": "RETL",
        "estimated_duration": 45,
        "json_structure": {
            "version": VERSION,
            "scenes": [
                {"duration": 2.5, "elements": [_text("{title}", "zoom_in")]},
                {"duration": 2.5, "elements": [{"type": "image", "effects": ["zoom_out"]}]},
            ],
            "transitions": [{"type": "slideleft", "duration": 0.4}],
            "render": {
                "writer": "product",
                "scene_count": {"min": 3, "max": 8},
                "pacing": {"lead_s": 0.25, "tail_s": 0.4, "min_scene_s": 2.0},
                "captions": "word_highlight",
                "title_card": {"show": True, "seconds": 2.0},
                "outro_card": {"show": True, "text": "Get yours today", "seconds": 3.0},
                "music": {"mood": "corporate", "level_db": -18},
                "style": "modern",
            },
        },
    },
]

# The name and transition each built-in was first installed with (version 1), whose placeholder
# structure is replaced by the one above unless staff changed it.
LEGACY = {
    "explainer": ("Explainer", "fade"),
    "listicle": ("Listicle", "slideleft"),
    "promo": ("Promo", "circleopen"),
    "tutorial": ("Tutorial", "fade"),
    "story": ("Story", "dissolve"),
    "news": ("News brief", "slideup"),
    "quote": ("Quote", "fadeblack"),
    "product": ("Product showcase", "slideleft"),
}


def builtin_recipe(slug: str) -> Recipe:
    """A built-in's recipe from the data above, with no database (the `make_video` command)."""
    [template] = [template for template in BUILTIN if template["slug"] == slug]
    return recipe_from_structure(template["json_structure"])


def legacy_structure(slug: str) -> dict:
    name, transition = LEGACY[slug]
    return {
        "scenes": [
            {
                "duration": 5.0,
                "elements": [
                    {
                        "type": "text",
                        "position": {"x": 0.5, "y": 0.5},
                        "size": {"width": 0.8, "height": 0.2},
                        "content": name,
                        "effects": ["fade_in"],
                    }
                ],
            }
        ],
        "transitions": [{"type": transition, "duration": 0.5}],
    }


def install_builtin_templates(using="default", **kwargs):
    """Create the built-in templates that are missing and bring version 1 placeholders up to date;
    staff edits to existing ones are kept."""
    from django.db import router

    from .models import VideoTemplate

    if not router.allow_migrate_model(using, VideoTemplate):  # e.g. the channel layer's database
        return
    for data in BUILTIN:
        fields = {key: copy.deepcopy(value) for key, value in data.items() if key != "slug"}
        template, created = VideoTemplate.objects.using(using).get_or_create(
            slug=data["slug"], defaults=fields
        )
        if not created and template.json_structure == legacy_structure(data["slug"]):
            template.json_structure = fields["json_structure"]
            template.save(using=using, update_fields=["json_structure"])


DEFAULT_RECIPE = builtin_recipe("explainer")  # a project without a template
