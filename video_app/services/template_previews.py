"""Preview pictures of templates, drawn from their recipes with the engine's own pieces: the title
card in the template's palette, its pace and music under the name, and a sample caption in its
caption style. A preview's file name carries a hash of what it was drawn from, so it is drawn once
and again only when the template changes."""

import tempfile
from pathlib import Path

from PIL import Image

from ..engine.core.errors import InvalidInput
from ..engine.core.styles import get_style
from ..engine.core.types import FrameSize, WordTiming
from ..engine.media import render_card
from ..engine.render.caption_pictures import caption_pictures
from ..models import VideoTemplate, content_hash
from ..template_structure import Recipe
from . import files

PREVIEW_FRAME = FrameSize(480, 270)
PREVIEW_VERSION = 1  # bump when previews are drawn differently: every one is redrawn
SAMPLE_CAPTION = "Your words appear like this"
# The palette of a template whose recipe names none.
CATEGORY_STYLES = {
    "PROMO": "bold",
    "EDUC": "modern",
    "CORP": "minimal",
    "SOCL": "warm",
    "NEWS": "tech",
    "STORY": "nature",
}


def ensure_preview(template: VideoTemplate) -> VideoTemplate:
    """The template with a preview of its current structure, drawn now if it has none yet."""
    key = preview_key(template)
    old_name = template.preview_image.name
    if old_name and key in Path(old_name).name:
        return template
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{template.slug}-{key}.png"
        draw_preview(template, path)
        files.store(template.preview_image, path, path.name)
    template.save(update_fields=["preview_image"])
    if old_name:
        files.delete_after_commit(template.preview_image.storage, old_name)
    return template


def preview_key(template: VideoTemplate) -> str:
    drawn_from = (template.name, template.category, template.json_structure)
    return content_hash("template-preview", PREVIEW_VERSION, *drawn_from)[:16]


def draw_preview(template: VideoTemplate, out_path: Path) -> None:
    try:
        recipe = template.recipe
    except InvalidInput:  # saved around the admin's checks: still show something
        recipe = Recipe()
    style = get_style(recipe.style or CATEGORY_STYLES.get(template.category))
    title = recipe.title_card.text_for(template.name) if recipe.title_card.show else template.name
    render_card(
        title=title, subtitle=_summary(recipe), style=style, frame=PREVIEW_FRAME, out_path=out_path
    )
    with Image.open(out_path) as card:
        frame = card.convert("RGBA")
    caption = _sample_caption(recipe, style)
    if caption is not None:
        frame.alpha_composite(caption.image, (caption.x, caption.y))
    frame.convert("RGB").save(out_path, format="PNG")


def _summary(recipe: Recipe) -> str:
    pause_s = recipe.lead_s + recipe.tail_s
    pace = "Fast" if pause_s < 0.6 else "Steady" if pause_s < 1.5 else "Slow"
    music = f"{recipe.music_mood} music" if recipe.music_mood else "no music"
    return f"{pace} · {music}"


def _sample_caption(recipe: Recipe, style):
    """The caption as the engine draws it on a landscape frame (where "platform" means lower
    thirds); for word-by-word captions, with the second word spoken."""
    words = [
        WordTiming(word, index * 0.4, index * 0.4 + 0.35)
        for index, word in enumerate(SAMPLE_CAPTION.split())
    ]
    pictures = caption_pictures(
        words, caption_style=recipe.caption_style("lower_third"), style=style, frame=PREVIEW_FRAME
    )
    return pictures[min(1, len(pictures) - 1)] if pictures else None
