"""The user's own uploads as pictures: each matched to the scene's keywords by its tags and
title."""

from pathlib import Path

import pytest

from tests.video_app.engine.media.conftest import scene
from video_app.engine.media import LibraryItem, LibraryMediaProvider, find_media


@pytest.fixture
def uploads(tmp_path):
    def upload(name, title, tags, kind="image"):
        path = tmp_path / "library" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"stored at upload")
        return LibraryItem(path, kind, title, tuple(tags), 1920, 1080)

    return upload


def test_it_picks_the_library_item_tagged_best_for_the_scene(uploads, tmp_path):
    beach = uploads("beach.jpg", "Holiday", ["beach", "sand"])
    reef = uploads("reef.jpg", "IMG_2041", ["ocean", "coral reef", "current"])
    city = uploads("city.jpg", "Downtown", ["city", "ocean view"])

    item = LibraryMediaProvider([beach, city, reef]).find(scene(), tmp_path)

    assert item.path == reef.path
    assert item.source == "library"
    assert item.licence == "Uploaded by the user"
    assert item.extra["title"] == "IMG_2041"


def test_it_matches_plurals_case_and_accents(uploads, tmp_path):
    cafe = uploads("cafe.jpg", "Morning", ["Café", "Cities"])

    item = LibraryMediaProvider([cafe]).find(scene(keywords=("cafes", "CITY")), tmp_path)

    assert item.path == cafe.path


def test_it_finds_nothing_when_no_upload_is_close_enough(uploads, tmp_path):
    beach = uploads("beach.jpg", "Holiday", ["beach", "sand"])
    # "climate" is the second keyword: a single half-weight match in the title only.
    weak = uploads("chart.png", "Climate chart", ["graph"])

    assert LibraryMediaProvider([beach, weak]).find(scene(), tmp_path) is None


def test_it_prefers_uploads_not_used_yet_when_they_match_as_well(uploads, tmp_path):
    first = uploads("wave-1.jpg", "Wave", ["ocean", "current"])
    second = uploads("wave-2.jpg", "Wave", ["ocean", "currents"])
    used: set[Path] = set()

    picks = [
        find_media(scene(index=index), tmp_path, library=[first, second], used=used).path
        for index in range(3)
    ]

    assert picks[0] != picks[1]
    assert used == {first.path, second.path}


def test_it_breaks_ties_by_title_so_choices_are_stable(uploads, tmp_path):
    zebra = uploads("a.jpg", "Zebra ocean", ["ocean"])
    apple = uploads("b.jpg", "Apple ocean", ["ocean"])

    for order in ([zebra, apple], [apple, zebra]):
        item = LibraryMediaProvider(order).find(scene(keywords=("ocean",)), tmp_path)
        assert item.path == apple.path


def test_it_skips_uploads_whose_file_is_gone(uploads, tmp_path):
    gone = uploads("gone.jpg", "Ocean", ["ocean", "current"])
    gone.path.unlink()
    kept = uploads("kept.jpg", "Sea", ["ocean"])

    assert LibraryMediaProvider([gone, kept]).find(scene(), tmp_path).path == kept.path


def test_it_draws_a_picture_when_the_library_has_no_match(uploads, tmp_path):
    beach = uploads("beach.jpg", "Holiday", ["beach"])

    item = find_media(scene(), tmp_path / "out", library=[beach], provider="procedural")

    assert item.source == "procedural"
    assert item.path.parent == tmp_path / "out"
