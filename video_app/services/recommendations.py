"""Suggested settings for a new video: the seeds' `ContentRecommender`.

From what the creator says the video is about (title and description) and what they made before,
suggest a template, a style, a length and where to publish, each with the one-line reason the page
shows. The rules are tables a person can read and argue with, not a trained model: the same input
always gives the same suggestion, and every suggestion says why.

How a suggestion is reached:
1. The kind of video (a built-in template's kind) is told from cue phrases in the text, each
   worth points ("how to" is a strong tutorial cue, "tips" a weaker listicle one). Without a cue,
   the kind the creator finished most often; without history, an explainer.
2. Platforms named in the text win; else where the creator's finished videos went; else where
   that kind of video usually does well.
3. Style from the topic's vocabulary (software -> Tech, recipes -> Warm), else the creator's
   habit, else Modern.
4. Length from the kind and the main platform's format, within the platform's and the plan's
   limits.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..engine.core.platforms import PLATFORM_SPECS
from ..engine.core.styles import DEFAULT_STYLE, STYLES

# Cue phrases per kind of video, with points. Words match whole (and simple plurals), phrases
# match as written; English and Spanish, the languages the product's users write in most.
KIND_CUES: dict[str, dict[str, int]] = {
    "tutorial": {
        "how to": 3,
        "step by step": 3,
        "tutorial": 3,
        "guide": 2,
        "learn": 1,
        "install": 2,
        "setup": 2,
        "set up": 2,
        "recipe": 2,
        "beginner": 1,
        "cómo": 3,
        "paso a paso": 3,
        "aprende": 1,
        "receta": 2,
    },
    "listicle": {
        "top": 2,
        "best": 1,
        "tips": 2,
        "reasons": 2,
        "ways": 2,
        "mistakes": 2,
        "things": 1,
        "hacks": 2,
        "consejos": 2,
        "mejores": 1,
        "razones": 2,
    },
    "promo": {
        "sale": 3,
        "discount": 3,
        "offer": 2,
        "% off": 3,
        "launch": 2,
        "limited": 2,
        "deal": 2,
        "sign up": 2,
        "coupon": 3,
        "oferta": 3,
        "descuento": 3,
    },
    "product": {
        "product": 2,
        "features": 2,
        "unboxing": 3,
        "review": 2,
        "demo": 2,
        "showcase": 3,
        "gadget": 2,
        "producto": 2,
    },
    "news": {
        "news": 3,
        "announced": 2,
        "today": 1,
        "report": 1,
        "update": 1,
        "breaking": 3,
        "this week": 2,
        "election": 2,
        "noticia": 3,
        "noticias": 3,
    },
    "story": {
        "story": 3,
        "once upon": 3,
        "journey": 2,
        "remember": 1,
        "childhood": 2,
        "legend": 2,
        "history of": 2,
        "historia": 3,
    },
    "quote": {
        "quote": 3,
        "quotes": 3,
        "motivation": 2,
        "motivational": 2,
        "inspiration": 2,
        "wisdom": 2,
        "affirmation": 2,
        "cita": 3,
        "frase": 2,
    },
    "explainer": {
        "explained": 3,
        "what is": 2,
        "why": 1,
        "how does": 2,
        "science": 1,
        "understand": 1,
        "explainer": 3,
        "qué es": 2,
        "por qué": 1,
    },
}
KIND_PLURALS = {
    "tutorial": "Tutorials",
    "listicle": "Lists",
    "promo": "Promos",
    "product": "Product videos",
    "news": "News briefs",
    "story": "Stories",
    "quote": "Quotes",
    "explainer": "Explainers",
}
DEFAULT_KIND = "explainer"

# Style from the topic's vocabulary.
STYLE_CUES: dict[str, tuple[str, ...]] = {
    "tech": (
        "software",
        "app",
        "ai",
        "code",
        "coding",
        "programming",
        "computer",
        "data",
        "crypto",
        "robot",
        "gadget",
        "tech",
        "technology",
        "startup",
        "cloud",
        "server",
    ),
    "nature": (
        "nature",
        "garden",
        "gardening",
        "travel",
        "hiking",
        "ocean",
        "forest",
        "plant",
        "climate",
        "outdoor",
        "wildlife",
        "camping",
        "naturaleza",
        "viaje",
    ),
    "minimal": (
        "business",
        "finance",
        "corporate",
        "productivity",
        "legal",
        "investing",
        "accounting",
        "b2b",
        "consulting",
        "negocio",
        "finanzas",
    ),
    "warm": (
        "food",
        "recipe",
        "cooking",
        "family",
        "wellness",
        "home",
        "baking",
        "love",
        "lifestyle",
        "comida",
        "receta",
        "familia",
    ),
    "bold": (
        "sale",
        "fitness",
        "workout",
        "gaming",
        "sport",
        "sports",
        "hype",
        "deal",
        "challenge",
        "gym",
        "oferta",
    ),
}

# Where a kind does well when the creator hasn't said: long-form for teaching and telling,
# vertical short-form for what is quick to take in.
KIND_PLATFORMS = {
    "tutorial": ("youtube",),
    "explainer": ("youtube",),
    "story": ("youtube",),
    "news": ("youtube_shorts", "tiktok"),
    "listicle": ("tiktok", "instagram_reels"),
    "promo": ("instagram_reels", "tiktok"),
    "product": ("instagram_reels", "youtube_shorts"),
    "quote": ("instagram_reels", "tiktok"),
}
PLATFORM_CUES = {
    "youtube_shorts": ("youtube shorts", "shorts"),
    "tiktok": ("tiktok", "tik tok"),
    "instagram_reels": ("reels", "reel"),
    "instagram_square": ("instagram post", "feed post"),
    "youtube": ("youtube",),
}

# Seconds (shortest, longest) that hold attention, per kind and format: "long" is 16:9
# YouTube, "short" the vertical and feed formats.
DURATIONS = {
    "tutorial": {"long": (180, 300), "short": (45, 60)},
    "explainer": {"long": (90, 180), "short": (30, 60)},
    "listicle": {"long": (120, 240), "short": (30, 45)},
    "promo": {"long": (30, 60), "short": (15, 30)},
    "product": {"long": (60, 120), "short": (20, 40)},
    "news": {"long": (60, 120), "short": (30, 45)},
    "story": {"long": (120, 240), "short": (45, 75)},
    "quote": {"long": (20, 40), "short": (10, 20)},
}

HABIT_MIN = 2  # how many finished videos make a habit worth following
WORD = re.compile(r"[\w%]+", re.UNICODE)


@dataclass(frozen=True)
class PastProject:
    """What the recommender reads of one earlier project of the creator."""

    template: str | None
    style: str
    platforms: tuple[str, ...]
    completed: bool


@dataclass(frozen=True)
class Suggestion:
    template: str  # a kind of video: a built-in template's slug
    style: str
    platforms: tuple[str, ...]
    duration_range_s: tuple[int, int]
    reasons: dict[str, str]  # per field: template, style, platforms, duration

    @property
    def duration_s(self) -> int:
        low, high = self.duration_range_s
        return round((low + high) / 2)

    @property
    def reason(self) -> str:
        """The headline: the length advice names the kind and the platform."""
        return self.reasons["duration"]


class ContentRecommender:
    def recommend(
        self,
        description: str,
        history: Sequence[PastProject] = (),
        *,
        max_duration_s: int | None = None,
    ) -> Suggestion:
        """`description`: the title and description; `max_duration_s`: the plan's limit."""
        text = _normalise(description)
        finished = [past for past in history if past.completed]
        template, template_reason = self.suggest_template(text, finished)
        platforms, platforms_reason = self.suggest_platforms(text, template, finished)
        style, style_reason = self.suggest_style(text, finished)
        duration, duration_reason = self.suggest_duration(
            template, platforms[0], max_duration_s=max_duration_s
        )
        return Suggestion(
            template=template,
            style=style,
            platforms=platforms,
            duration_range_s=duration,
            reasons={
                "template": template_reason,
                "style": style_reason,
                "platforms": platforms_reason,
                "duration": duration_reason,
            },
        )

    def suggest_template(self, text: str, finished: Sequence[PastProject]) -> tuple[str, str]:
        scores = {kind: _score(text, cues) for kind, cues in KIND_CUES.items()}
        best = max(scores, key=lambda kind: scores[kind])  # ties: the table's order
        if scores[best] > 0:
            cues = [cue for cue in KIND_CUES[best] if _has(text, cue)]
            return best, f"Your description mentions {_quoted(cues)}: a {_kind_name(best)} fits."
        habit = _habit(past.template for past in finished if past.template in KIND_CUES)
        if habit:
            kind, count = habit
            return kind, f"You have finished {count} {_kind_name(kind)} videos."
        return DEFAULT_KIND, "An explainer suits most topics: one idea, made clear."

    def suggest_platforms(
        self, text: str, template: str, finished: Sequence[PastProject]
    ) -> tuple[tuple[str, ...], str]:
        # Longest names first, each blanked out once found: "YouTube Shorts" is not also
        # "YouTube". Then in the order the creator wrote them.
        found = []
        for cue, platform in sorted(
            ((cue, platform) for platform, cues in PLATFORM_CUES.items() for cue in cues),
            key=lambda pair: -len(pair[0]),
        ):
            while (position := _find(text, cue)) >= 0:
                found.append((position, platform))
                text = text[:position] + " " * len(cue) + text[position + len(cue) :]
        chosen = list(dict.fromkeys(platform for _, platform in sorted(found)))
        if chosen:
            return tuple(chosen), f"You named {_labels(chosen)}."
        habit = _habit(past.platforms[0] for past in finished if past.platforms)
        if habit:
            platform, count = habit
            return (platform,), f"{count} of your finished videos went to {_labels([platform])}."
        platforms = KIND_PLATFORMS[template]
        return platforms, f"{KIND_PLURALS[template]} travel furthest on {_labels(platforms)}."

    def suggest_style(self, text: str, finished: Sequence[PastProject]) -> tuple[str, str]:
        scores = {style: sum(_has(text, cue) for cue in cues) for style, cues in STYLE_CUES.items()}
        best = max(scores, key=lambda style: scores[style])
        label = STYLES[best].label
        if scores[best] > 0:
            cues = [cue for cue in STYLE_CUES[best] if _has(text, cue)]
            return best, f"{label} matches a topic about {_quoted(cues)}."
        habit = _habit(past.style for past in finished if past.style in STYLES)
        if habit:
            style, count = habit
            return style, f"You chose {STYLES[style].label} for {count} finished videos."
        return DEFAULT_STYLE, f"{STYLES[DEFAULT_STYLE].label} is a safe look for any topic."

    def suggest_duration(
        self, template: str, platform: str, *, max_duration_s: int | None = None
    ) -> tuple[tuple[int, int], str]:
        spec = PLATFORM_SPECS[platform]
        low, high = DURATIONS[template]["long" if spec.aspect == "16:9" else "short"]
        advice = f"{KIND_PLURALS[template]} on {spec.label} do best at {low}–{high} s."
        limit = min(spec.max_duration_s, max_duration_s or spec.max_duration_s)
        if high <= limit:
            return (low, high), advice
        capped = (min(low, limit), limit)
        return capped, f"{advice[:-1]}; your plan allows up to {limit} s."


def _normalise(text: str) -> str:
    return " ".join(WORD.findall(text.lower().replace("-", " ")))


def _find(text: str, cue: str) -> int:
    """Where a cue starts in the text as whole words (a plural 's' allowed), else -1."""
    match = re.search(rf"(?<!\w){re.escape(cue)}s?(?!\w)", text)
    return match.start() if match else -1


def _has(text: str, cue: str) -> bool:
    return _find(text, cue) >= 0


def _score(text: str, cues: dict[str, int]) -> int:
    return sum(points for cue, points in cues.items() if _has(text, cue))


def _habit(values) -> tuple[str, int] | None:
    counts = Counter(values)
    if not counts:
        return None
    # most_common keeps first-seen order among equals: history comes newest first.
    value, count = counts.most_common(1)[0]
    return (value, count) if count >= HABIT_MIN else None


def _quoted(cues: list[str]) -> str:
    return ", ".join(f"“{cue}”" for cue in cues[:3])


def _kind_name(kind: str) -> str:
    return {"news": "news brief", "product": "product showcase"}.get(kind, kind)


def _labels(platforms) -> str:
    labels = [PLATFORM_SPECS[name].label for name in platforms]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
