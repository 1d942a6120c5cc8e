"""A template's `json_structure`: what it may say (a JSON Schema, Draft 2020-12), the errors staff
see when it says something else, and the `Recipe` the render takes from it.

The shape is the seeds' (`scenes` with durations and elements, `transitions`), plus an optional
`render` object for what the seeds' shape cannot say. Every key is optional; what is left out
takes the defaults below (the explainer's pacing). Example:

    {"version": 2,
     "scenes": [{"duration": 2.5, "elements": [
         {"type": "text", "position": {"x": 0.5, "y": 0.5}, "size": {"width": 0.8, "height": 0.2},
          "content": "{title}", "effects": ["zoom_in"]}]}],
     "transitions": [{"type": "circleopen", "duration": 0.35}],
     "render": {"writer": "promo", "scene_count": {"min": 3, "max": 6},
                "pacing": {"lead_s": 0.15, "tail_s": 0.25, "min_scene_s": 2},
                "captions": "word_highlight",
                "title_card": {"show": true, "seconds": 1.5},
                "outro_card": {"show": true, "text": "Try it today", "seconds": 2.5},
                "music": {"mood": "upbeat", "level_db": -16}, "style": "bold"}}

What the renderer honours of the seeds' shape:
- `transitions[0]`: the transition between every two scenes and its length (the engine uses one
  transition per video; later entries are accepted and ignored).
- `scenes`: a pattern the narrated scenes follow in turn (scene i takes entry i mod n):
  `duration` is the least time that scene stays on screen (a scene whose voice is longer lasts as
  long as its voice), and an element's `effects` naming a camera move ("zoom_in", "zoom_out",
  "pan_left", "pan_right", "none") set the Ken Burns move of its picture.
- a `text` element of `scenes[0]`: the title card's text, unless `render.title_card.text` gives
  one; "{title}" in a card's text stands for the video's title.
Ignored: `position` and `size` (pictures fill the frame, captions sit where their style puts
them), `image`/`video`/`shape` elements and their `content` (a template carries no files: the
pictures come from the project's media source), and the other effects ("fade_in", "blur", ...).

`render`: `writer` (which kind of script the writers write, one of engine.script.TEMPLATES,
so a template with a slug of its own still gets a script), `scene_count` (min/max scenes the
script is split into), `pacing` (the pauses around each scene's voice and the shortest scene),
`captions` (a burned-in caption style, or "platform" for the platform's own),
`title_card`/`outro_card`, `music` (a mood of the procedural beds in engine/render/music.py, or
"none", and its level under the voice, before ducking), and `style` (the palette the template's
preview is drawn in; the video uses the project's style).
"""

from dataclasses import dataclass
from typing import get_args

from jsonschema import Draft202012Validator

from .engine.core.cues import CaptionStyle
from .engine.core.errors import InvalidInput
from .engine.core.styles import STYLES
from .engine.render import TRANSITIONS, Motion
from .engine.render.music import MOODS
from .engine.script import TEMPLATES

CAPTION_CHOICES = ("platform", *get_args(CaptionStyle))
MOOD_CHOICES = ("none", *MOODS)
MOTIONS = frozenset(get_args(Motion))
TITLE = "{title}"
# The built-in outro line, said in the video's language where we have it; a line staff wrote in
# a template is shown as written.
THANKS_FOR_WATCHING = "Thanks for watching"
THANKS_IN = {
    "es": "Gracias por ver",
    "fr": "Merci d'avoir regardé",
    "de": "Danke fürs Zuschauen",
    "pt": "Obrigado por assistir",
    "it": "Grazie per la visione",
}
MAX_ERRORS = 20

_unit = {"type": "number", "minimum": 0, "maximum": 1}
_card = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "show": {"type": "boolean"},
        "text": {"type": "string", "maxLength": 80},
        "seconds": {"type": "number", "minimum": 1, "maximum": 10},
    },
}
STRUCTURE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Video template structure",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "version": {"type": "integer", "minimum": 1},
        "scenes": {
            "type": "array",
            "maxItems": 60,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["duration"],
                "properties": {
                    "duration": {"type": "number", "minimum": 0.5, "maximum": 60},
                    "elements": {
                        "type": "array",
                        "maxItems": 20,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["type"],
                            "properties": {
                                "type": {"enum": ["text", "image", "video", "shape"]},
                                "position": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {"x": _unit, "y": _unit},
                                },
                                "size": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {"width": _unit, "height": _unit},
                                },
                                "content": {"type": "string", "maxLength": 200},
                                "effects": {
                                    "type": "array",
                                    "maxItems": 10,
                                    "items": {"type": "string", "maxLength": 40},
                                },
                            },
                        },
                    },
                },
            },
        },
        "transitions": {
            "type": "array",
            "maxItems": 60,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type"],
                "properties": {
                    "type": {"enum": list(TRANSITIONS)},
                    "duration": {"type": "number", "minimum": 0.1, "maximum": 1.0},
                },
            },
        },
        "render": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "writer": {"enum": list(TEMPLATES)},
                "scene_count": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "min": {"type": "integer", "minimum": 1, "maximum": 60},
                        "max": {"type": "integer", "minimum": 1, "maximum": 60},
                    },
                },
                "pacing": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "lead_s": {"type": "number", "minimum": 0, "maximum": 2},
                        "tail_s": {"type": "number", "minimum": 0, "maximum": 3},
                        "min_scene_s": {"type": "number", "minimum": 2, "maximum": 30},
                    },
                },
                "captions": {"enum": list(CAPTION_CHOICES)},
                "title_card": _card,
                "outro_card": _card,
                "music": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["mood"],
                    "properties": {
                        "mood": {"enum": list(MOOD_CHOICES)},
                        "level_db": {"type": "number", "minimum": -40, "maximum": -6},
                        "seed": {"type": "integer", "minimum": 0, "maximum": 9999},
                    },
                },
                "style": {"enum": sorted(STYLES)},
            },
        },
    },
}
Draft202012Validator.check_schema(STRUCTURE_SCHEMA)
_validator = Draft202012Validator(STRUCTURE_SCHEMA)


def in_schema_order(value, schema: dict = STRUCTURE_SCHEMA):
    """The structure with its keys in the schema's order (version, scenes, transitions,
    render, ...), for people to read: PostgreSQL's jsonb keeps keys in an order of its own."""
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        ordered = [key for key in properties if key in value]
        ordered += [key for key in value if key not in properties]
        return {key: in_schema_order(value[key], properties.get(key, {})) for key in ordered}
    if isinstance(value, list):
        return [in_schema_order(item, schema.get("items", {})) for item in value]
    return value


@dataclass(frozen=True)
class Card:
    show: bool
    text: str  # TITLE stands for the video's title
    seconds: float

    def text_for(self, title: str, language: str = "en") -> str:
        text = self.text
        if text == THANKS_FOR_WATCHING:  # the built-in line speaks the video's language
            text = THANKS_IN.get(language.replace("_", "-").split("-")[0].lower(), text)
        return text.replace(TITLE, title).strip() or title


@dataclass(frozen=True)
class Recipe:
    """What a template makes of a video. The defaults are the explainer's pacing."""

    writer: str = "explainer"
    min_scenes: int = 1
    max_scenes: int | None = None  # None: as many as the script has
    lead_s: float = 0.3  # silence before a scene's voice
    tail_s: float = 0.5  # and after it, before the next scene
    min_scene_s: float = 2.0
    # The scenes pattern, taken in turn: the least time a scene lasts, and its camera move
    # (None: the engine's own cycle).
    scene_hold_s: tuple[float, ...] = ()
    motions: tuple[Motion | None, ...] = ()
    captions: str = "platform"
    transition: str = "fade"
    transition_s: float = 0.5
    title_card: Card = Card(True, TITLE, 2.5)
    outro_card: Card = Card(True, THANKS_FOR_WATCHING, 3.0)
    music_mood: str | None = None
    music_level_db: float = -18.0
    music_seed: int = 0
    style: str | None = None  # the preview's palette

    def scene_floor_s(self, index: int) -> float:
        """The least time the index-th narrated scene stays on screen."""
        if not self.scene_hold_s:
            return self.min_scene_s
        return max(self.min_scene_s, self.scene_hold_s[index % len(self.scene_hold_s)])

    def motion_of(self, index: int) -> Motion | None:
        return self.motions[index % len(self.motions)] if self.motions else None

    def caption_style(self, platform_style: CaptionStyle) -> CaptionStyle:
        return platform_style if self.captions == "platform" else self.captions

    def cards_s(self) -> float:
        """Seconds the title and outro cards add to a video."""
        return sum(card.seconds for card in (self.title_card, self.outro_card) if card.show)


def structure_errors(structure) -> list[str]:
    """What is wrong with a structure, as "path: problem" lines for staff; [] when it is fine."""
    errors = sorted(_validator.iter_errors(structure), key=_path_order)
    messages = [message for error in errors for message in _messages(error)]
    return list(dict.fromkeys(messages or _rule_errors(structure)))[:MAX_ERRORS]


def _rule_errors(structure: dict) -> list[str]:
    """What a schema can't say: settings that must agree with each other."""
    render = structure.get("render", {})
    errors = []
    counts = render.get("scene_count", {})
    if counts.get("min", 1) > counts.get("max", 60):
        errors.append(
            f"render.scene_count: min ({counts['min']}) must not be more than max ({counts['max']})"
        )
    # A cross-fade straddles the cut, so a card must last at least two halves of it.
    transitions = structure.get("transitions") or [{}]
    fade_s = transitions[0].get("duration", Recipe.transition_s)
    for name in ("title_card", "outro_card"):
        seconds = render.get(name, {}).get("seconds")
        if seconds is not None and seconds < 2 * fade_s:
            errors.append(
                f"render.{name}.seconds: must be at least {2 * fade_s:g}, twice the "
                f"transition's {fade_s:g} s"
            )
    return errors


def recipe_from_structure(structure) -> Recipe:
    """The recipe of a valid structure; InvalidInput (naming the first problem) otherwise."""
    if errors := structure_errors(structure):
        raise InvalidInput(
            f"This template's settings can't be used ({errors[0]}). Pick another template.",
            detail="; ".join(errors),
        )
    defaults = Recipe()
    render = structure.get("render", {})
    scenes = structure.get("scenes", [])
    transitions = structure.get("transitions", [])
    pacing = render.get("pacing", {})
    counts = render.get("scene_count", {})
    music = render.get("music", {})
    transition = transitions[0] if transitions else {}
    title_text = next(
        (
            element["content"]
            for element in (scenes[0].get("elements", []) if scenes else [])
            if element["type"] == "text" and element.get("content", "").strip()
        ),
        defaults.title_card.text,
    )
    mood = music.get("mood", "none")
    return Recipe(
        writer=render.get("writer", defaults.writer),
        min_scenes=counts.get("min", defaults.min_scenes),
        max_scenes=counts.get("max", defaults.max_scenes),
        lead_s=pacing.get("lead_s", defaults.lead_s),
        tail_s=pacing.get("tail_s", defaults.tail_s),
        min_scene_s=pacing.get("min_scene_s", defaults.min_scene_s),
        scene_hold_s=tuple(scene["duration"] for scene in scenes),
        motions=tuple(_motion(scene) for scene in scenes),
        captions=render.get("captions", defaults.captions),
        transition=transition.get("type", defaults.transition),
        transition_s=transition.get("duration", defaults.transition_s),
        title_card=_card_of(render.get("title_card", {}), defaults.title_card, title_text),
        outro_card=_card_of(render.get("outro_card", {}), defaults.outro_card),
        music_mood=None if mood == "none" else mood,
        music_level_db=music.get("level_db", defaults.music_level_db),
        music_seed=music.get("seed", defaults.music_seed),
        style=render.get("style", defaults.style),
    )


def _card_of(settings: dict, default: Card, text: str | None = None) -> Card:
    return Card(
        show=settings.get("show", default.show),
        text=settings.get("text", text or default.text),
        seconds=settings.get("seconds", default.seconds),
    )


def _motion(scene: dict) -> Motion | None:
    for element in scene.get("elements", []):
        for effect in element.get("effects", []):
            if effect in MOTIONS:
                return effect
    return None


def _messages(error) -> list[str]:
    """jsonschema's error in words for staff, prefixed with where it is: "scenes[0].duration"."""
    path = _path(error.path)
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        return [f"{_join(path, name)}: is required" for name in expected if name not in value]
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        return [
            f"{_join(path, name)}: is not a setting templates have (known: {', '.join(known)})"
            for name in value
            if name not in known
        ]
    return [f"{path or 'structure'}: {_problem(kind, expected, value)}"]


TYPE_NAMES = {
    "object": "an object ({...})",
    "array": "a list ([...])",
    "number": "a number",
    "integer": "a whole number",
    "string": "text in quotes",
    "boolean": "true or false",
}


def _problem(kind: str, expected, value) -> str:
    if kind == "minimum":
        return f"must be at least {expected}"
    if kind == "maximum":
        return f"must be at most {expected}"
    if kind == "type":
        return f"must be {TYPE_NAMES.get(expected, expected)}"
    if kind == "enum":
        return f"{_shown(value)} is not one of: {', '.join(map(str, expected))}"
    if kind == "maxItems":
        return f"may have at most {expected} entries"
    if kind == "maxLength":
        return f"must be at most {expected} characters long"
    return f"{_shown(value)} is not allowed ({kind}: {expected})"


def _shown(value) -> str:
    return f"“{value}”" if isinstance(value, str) else repr(value)


def _path_order(error) -> list[tuple]:
    # Indexes in numeric order ("scenes[2]" before "scenes[10]"), keys in alphabetical order.
    return [(0, part, "") if isinstance(part, int) else (1, 0, part) for part in error.path]


def _path(parts) -> str:
    path = ""
    for part in parts:
        path = f"{path}[{part}]" if isinstance(part, int) else _join(path, part)
    return path


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
