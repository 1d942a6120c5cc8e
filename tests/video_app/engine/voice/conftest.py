"""Helpers for the voice tests: WAV files read and written, loudness, and word timings checked."""

import math
import wave

import numpy as np

JOE = "piper:en_US-joe-medium"


def read_wav(path):
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)  # 16-bit PCM mono
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
        return samples.astype(np.float64) / 32768, wav.getframerate()


def write_wav(path, samples, rate=22050):
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((np.asarray(samples) * 32767).astype("<i2").tobytes())


def rms_dbfs(samples):
    return 20 * math.log10(max(1e-9, float(np.sqrt(np.mean(samples**2)))))


def assert_timings_fit(speech):
    previous_end = 0.0
    for word in speech.words:
        assert previous_end <= word.start_s <= word.end_s <= speech.duration_s, word
        previous_end = word.end_s


def written_without_spaces(speech):
    return "".join(word.text for word in speech.words).replace(" ", "")
