"""Coqui TTS voices from local model folders. The TTS package (and PyTorch) is not installed
here, so a stand-in `TTS.api` module plays the model: what is tested is our side, i.e. finding
models, loading them from their path, phrase timings, speed, the WAV, and the errors."""

import json
import sys
import types
import wave

import numpy as np
import pytest

from video_app.engine import voice
from video_app.engine.core.errors import InvalidInput, ProviderFailed
from video_app.engine.voice import coqui

SAMPLE_RATE = 22_050
SECONDS_PER_CHAR = 0.05


class FakeCoquiTTS:
    """Coqui's `TTS.api.TTS` as far as we use it: loaded from a checkpoint and its config, a
    `tts()` returning a float waveform, the output rate on its synthesizer."""

    loads: list[dict] = []
    speakers = None
    languages = None

    def __init__(self, model_name="", model_path=None, config_path=None, progress_bar=True, **_):
        with open(config_path, encoding="utf-8") as config:
            json.load(config)
        with open(model_path, "rb") as checkpoint:
            if checkpoint.read() != b"weights":
                raise RuntimeError("Error(s) in loading state_dict")
        self.loads.append({"model_path": model_path, "config_path": config_path})
        self.synthesizer = types.SimpleNamespace(output_sample_rate=SAMPLE_RATE)
        self.calls: list[dict] = []

    def tts(self, text, **options):
        """A tone as long as the text, with 50 ms of silence either side, like a real model."""
        self.calls.append({"text": text, **options})
        tone_s = SECONDS_PER_CHAR * len(text)
        tone = 0.5 * np.sin(2 * np.pi * 220 * np.arange(int(tone_s * SAMPLE_RATE)) / SAMPLE_RATE)
        silence = np.zeros(int(0.05 * SAMPLE_RATE))
        return list(np.concatenate([silence, tone, silence]))


@pytest.fixture(autouse=True)
def forget_loaded_models():
    coqui._loaded_voices.clear()
    FakeCoquiTTS.loads = []
    yield
    coqui._loaded_voices.clear()


@pytest.fixture
def coqui_installed(monkeypatch):
    package = types.ModuleType("TTS")
    api = types.ModuleType("TTS.api")
    api.TTS = FakeCoquiTTS
    package.api = api
    monkeypatch.setitem(sys.modules, "TTS", package)
    monkeypatch.setitem(sys.modules, "TTS.api", api)
    return api


@pytest.fixture
def coqui_missing(monkeypatch):
    # None in sys.modules makes `import TTS.api` raise ImportError, whatever is installed.
    monkeypatch.setitem(sys.modules, "TTS", None)
    monkeypatch.setitem(sys.modules, "TTS.api", None)


def make_model(folder, *, config=None, checkpoint="model_file.pth", weights=b"weights"):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(
        json.dumps({"phoneme_language": "en-us"} if config is None else config)
    )
    (folder / checkpoint).write_bytes(weights)
    return folder


@pytest.fixture
def models(settings, tmp_path):
    root = tmp_path / "coqui"
    make_model(root / "ljspeech-vits")
    make_model(
        root / "thorsten_vits",
        config={"datasets": [{"language": "de"}]},
        checkpoint="checkpoint_260000.pth",
    )
    (root / "speaker-embeddings").mkdir()  # no model in it
    (root / "speaker-embeddings" / "speakers.pth").write_bytes(b"")
    settings.COQUI_MODEL_PATH = str(root)
    return root


def read_wav(path):
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2"), wav.getframerate()


def test_it_offers_a_voice_per_model_folder(coqui_installed, models):
    provider = voice.voice_providers.get("coqui")

    assert provider.available()
    voices = {choice.id: choice for choice in provider.voices()}
    assert set(voices) == {"coqui:ljspeech-vits", "coqui:thorsten_vits"}
    assert voices["coqui:ljspeech-vits"].label == "Ljspeech Vits (Coqui, neural)"
    assert voices["coqui:ljspeech-vits"].language == "en-US"
    assert voices["coqui:thorsten_vits"].language == "de"
    assert "coqui:thorsten_vits" in {choice.id for choice in voice.available_voices()}
    assert FakeCoquiTTS.loads == []  # listing loads no model


def test_it_takes_a_single_model_folder_as_one_voice(coqui_installed, settings, tmp_path):
    settings.COQUI_MODEL_PATH = str(make_model(tmp_path / "jenny", config={}))

    voices = voice.voice_providers.get("coqui").voices()

    assert [(choice.id, choice.language) for choice in voices] == [("coqui:jenny", "und")]


def test_it_is_unavailable_without_a_model_folder(coqui_installed, settings, tmp_path):
    provider = voice.voice_providers.get("coqui")
    for configured in ("", str(tmp_path / "missing")):
        settings.COQUI_MODEL_PATH = configured
        assert not provider.available()
        assert provider.voices() == []


def test_it_speaks_phrase_by_phrase_with_the_model_loaded_once(coqui_installed, models, tmp_path):
    text = "Coffee first grew in Ethiopia, on high hills. Then it travelled."
    out = tmp_path / "scene.wav"

    speech = voice.synthesize(text, voice_id="coqui:ljspeech-vits", out_path=out)
    voice.synthesize("Once more.", voice_id="coqui:ljspeech-vits", out_path=tmp_path / "b.wav")

    assert FakeCoquiTTS.loads == [
        {
            "model_path": str(models / "ljspeech-vits" / "model_file.pth"),
            "config_path": str(models / "ljspeech-vits" / "config.json"),
        }
    ]
    loaded = coqui._loaded_voices[models / "ljspeech-vits" / "model_file.pth"]
    assert [call["text"] for call in loaded.tts.calls] == [
        "Coffee first grew in Ethiopia,",
        "on high hills.",
        "Then it travelled.",
        "Once more.",
    ]
    assert (speech.provider, speech.timing_precision) == ("coqui", "phrase")
    samples, rate = read_wav(out)
    assert rate == SAMPLE_RATE
    assert speech.duration_s == pytest.approx(len(samples) / rate)
    assert [word.text for word in speech.words] == text.split()
    previous_end = 0.0
    for word in speech.words:
        assert previous_end <= word.start_s <= word.end_s <= speech.duration_s, word
        previous_end = word.end_s
    # The model's silence is trimmed, so the first word starts with the sound.
    assert speech.words[0].start_s < 0.02
    # A sentence pause separates "hills." from "Then".
    assert speech.words[8].start_s - speech.words[7].end_s >= voice.SENTENCE_PAUSE_S - 0.01


def test_it_uses_the_first_speaker_of_a_multi_speaker_model(
    coqui_installed, models, tmp_path, monkeypatch
):
    monkeypatch.setattr(FakeCoquiTTS, "speakers", ["p225", "p226"])

    voice.synthesize("Hello there.", voice_id="coqui:ljspeech-vits", out_path=tmp_path / "a.wav")

    loaded = next(iter(coqui._loaded_voices.values()))
    assert loaded.tts.calls == [{"text": "Hello there.", "speaker": "p225"}]


def test_it_speaks_faster_at_a_higher_speed(coqui_installed, models, tmp_path):
    text = "Coffee first grew in Ethiopia. Then it travelled."

    normal = voice.synthesize(text, voice_id="coqui:thorsten_vits", out_path=tmp_path / "a.wav")
    faster = voice.synthesize(
        text, voice_id="coqui:thorsten_vits", speed=1.5, out_path=tmp_path / "b.wav"
    )

    assert faster.duration_s == pytest.approx(normal.duration_s / 1.5, rel=0.05)
    assert faster.words[-1].end_s == pytest.approx(faster.duration_s, abs=0.01)


def test_it_says_what_to_install_when_coqui_is_missing(coqui_missing, models, tmp_path):
    provider = voice.voice_providers.get("coqui")
    assert not provider.available()

    with pytest.raises(ProviderFailed, match="pip install coqui-tts"):
        provider.synthesize(
            "Hello.", voice_id="coqui:ljspeech-vits", speed=1.0, out_path=tmp_path / "a.wav"
        )


def test_it_reports_a_missing_model_folder(coqui_installed, settings, tmp_path):
    settings.COQUI_MODEL_PATH = str(tmp_path / "moved-away")
    out = tmp_path / "a.wav"

    with pytest.raises(ProviderFailed, match="no model on this server") as raised:
        voice.voice_providers.get("coqui").synthesize(
            "Hello.", voice_id="coqui:ljspeech-vits", speed=1.0, out_path=out
        )

    assert "moved-away" in raised.value.detail
    assert not out.exists()


def test_it_refuses_a_model_it_does_not_have(coqui_installed, models, tmp_path):
    with pytest.raises(InvalidInput, match="'coqui:tacotron' is not installed"):
        voice.synthesize("Hello.", voice_id="coqui:tacotron", out_path=tmp_path / "a.wav")


def test_it_reports_a_model_that_cannot_be_loaded(coqui_installed, settings, tmp_path):
    settings.COQUI_MODEL_PATH = str(make_model(tmp_path / "broken", weights=b"truncated"))

    with pytest.raises(ProviderFailed, match="'coqui:broken' could not be loaded") as raised:
        voice.synthesize("Hello.", voice_id="coqui:broken", out_path=tmp_path / "a.wav")

    assert "state_dict" in raised.value.detail
