"""Template previews: drawn once, again only when the structure changes, each in its template's
look."""

import numpy as np
import pytest
from PIL import Image

from video_app.models import VideoTemplate
from video_app.services import template_previews


@pytest.fixture
def drawings(monkeypatch):
    """How many previews were drawn."""
    drawn = []
    draw = template_previews.draw_preview

    def counted(template, path):
        drawn.append(template.slug)
        draw(template, path)

    monkeypatch.setattr(template_previews, "draw_preview", counted)
    return drawn


def picture(template) -> np.ndarray:
    with template.preview_image.open("rb") as stored, Image.open(stored) as image:
        return np.asarray(image.convert("RGB")).astype(int)


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_it_draws_a_preview_once_and_again_only_when_the_structure_changes(
    drawings, django_capture_on_commit_callbacks
):
    promo = VideoTemplate.objects.get(slug="promo")

    template_previews.ensure_preview(promo)
    first_name = promo.preview_image.name
    template_previews.ensure_preview(VideoTemplate.objects.get(slug="promo"))
    assert drawings == ["promo"]

    promo.json_structure["render"]["captions"] = "lower_third"
    promo.save()
    with django_capture_on_commit_callbacks(execute=True):
        template_previews.ensure_preview(promo)

    assert drawings == ["promo", "promo"]
    assert promo.preview_image.name != first_name
    assert not promo.preview_image.storage.exists(first_name)  # the old picture is gone


@pytest.mark.django_db
@pytest.mark.usefixtures("media_root")
def test_it_draws_each_templates_look_into_its_preview(tmp_path):
    templates = VideoTemplate.objects.filter(slug__in=["promo", "news", "quote"])
    previews = {t.slug: picture(template_previews.ensure_preview(t)) for t in templates}

    assert previews["promo"].shape == (270, 480, 3)
    for first, second in (("promo", "news"), ("promo", "quote"), ("news", "quote")):
        assert np.abs(previews[first] - previews[second]).mean() > 20, (first, second)
    # The sample caption, told from the card by drawing the card without it: where each
    # template's captions sit in its videos.
    bands = {}
    for template in templates:
        template.json_structure["render"]["captions"] = "none"
        template_previews.draw_preview(template, tmp_path / f"{template.slug}.png")
        with Image.open(tmp_path / f"{template.slug}.png") as plain:
            caption = np.abs(previews[template.slug] - np.asarray(plain)).sum(axis=2) > 60
        rows = np.nonzero(caption.sum(axis=1) > 0.03 * 480)[0]
        bands[template.slug] = (rows.min() / 270, rows.max() / 270)
    assert bands["news"][0] > 0.8  # a lower third
    assert 0.5 < bands["promo"][0] < bands["promo"][1] < 0.8  # big words, raised
    assert bands["quote"][0] < 0.5 < bands["quote"][1]  # across the middle
