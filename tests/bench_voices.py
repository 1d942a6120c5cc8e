"""How fast and how intelligible each offline voice is, in English and Spanish.

    .venv/bin/python -m tests.bench_voices [--threads 1] [--languages en es]

Every voice speaking each language (Piper, Kokoro, espeak-ng) reads the sentences below in a
process of its own, so its real-time factor (seconds of work per second of speech, after one
warm-up sentence) and peak memory are its own ("held by the voice": what the process holds after
the voice spoke less before it first did, i.e. the loaded model). Whisper base then hears every
recording back in this process; the word error rate is over all of a language's sentences.
Prints a markdown table; recordings are kept in var/bench/voices/.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import django
import psutil

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_core.settings.dev")

# Varied on purpose: numbers, a question, names, a long sentence with commas, short ones.
SENTENCES = {
    "en": [
        "The museum opens at nine in the morning and closes at six.",
        "Did you remember to water the plants before you left?",
        "Our team shipped 42 updates last year, more than ever before.",
        "Maria and Thomas drove from Chicago to Denver in two days.",
        "Fresh bread, strong coffee and a quiet garden make a perfect Sunday.",
        "Scientists found that sleep helps the brain store new memories.",
        "Turn left at the bridge, then follow the river until you see the old mill.",
        "Prices rose by 15 percent, so many families changed how they shop.",
        "Never give up on a dream just because of the time it will take.",
        "The small robot learned to sort the red blocks from the blue ones.",
        "Thank you for watching, and see you in the next video!",
    ],
    "es": [
        "El museo abre a las nueve de la mañana y cierra a las seis.",
        "¿Te acordaste de regar las plantas antes de salir?",
        "Nuestro equipo publicó 42 mejoras el año pasado, más que nunca.",
        "María y Tomás viajaron de Madrid a Sevilla en tren.",
        "Pan recién hecho, café fuerte y un jardín tranquilo hacen un domingo perfecto.",
        "Los científicos descubrieron que dormir ayuda al cerebro a guardar recuerdos.",
        "Gira a la izquierda en el puente y sigue el río hasta ver el viejo molino.",
        "Los precios subieron un 15 por ciento, así que muchas familias cambiaron sus compras.",
        "Nunca abandones un sueño por el tiempo que tardará en cumplirse.",
        "El pequeño robot aprendió a separar los bloques rojos de los azules.",
        "¡Gracias por mirar, y nos vemos en el próximo video!",
    ],
}
OUT_DIR = Path("var/bench/voices")
COLUMNS = (
    "voice",
    "language",
    "RTF",
    "WER (Whisper base)",
    "peak RSS",
    "held by the voice",
    "Whisper RTF",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="threads per voice inference")
    parser.add_argument("--languages", nargs="+", default=list(SENTENCES), choices=SENTENCES)
    # Internal: one voice reading every sentence, in the child process run_voice starts.
    parser.add_argument("--speak", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    django.setup()
    if args.speak:
        print(json.dumps(speak_all(*args.speak)))
        return
    from video_app.engine import voice
    from video_app.engine.voice import recognition

    rows = []
    for language in args.languages:
        for choice in bench_voices(voice.available_voices(), language):
            folder = OUT_DIR / language / choice.id.replace(":", "_")
            measured = run_voice(choice.id, language, folder, args.threads)
            started = time.monotonic()
            heard = [
                " ".join(word.text for word in recognition.transcribe(path, language))
                for path in sorted(folder.glob("*.wav"))
            ]
            hearing_s = time.monotonic() - started
            said = " ".join(SENTENCES[language])
            wer = recognition.word_error_rate(said, " ".join(heard), language=language)
            rows.append((choice, language, measured, wer, hearing_s / measured["audio_s"]))
            print(f"{choice.id} {language}: RTF {measured['rtf']:.2f}, WER {wer:.1%}", flush=True)
    print()
    print(f"Threads per inference: {args.threads}; {len(os.sched_getaffinity(0))} cores.\n")
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + " --- |" * len(COLUMNS))
    for choice, language, measured, wer, whisper_rtf in rows:
        print(
            f"| {choice.label} `{choice.id}` | {language} | {measured['rtf']:.2f} | {wer:.1%} "
            f"| {measured['peak_rss_mb']:.0f} MB | {measured['voice_mb']:.0f} MB "
            f"| {whisper_rtf:.2f} |"
        )


def bench_voices(voices, language: str):
    """The offline voices whose own language is `language`, one espeak-ng voice included."""
    from video_app.engine import voice

    wanted = {"en": {"en-US", "en-us"}, "es": {"es"}}[language]
    return [
        choice
        for choice in voices
        if choice.provider in voice.OFFLINE_PROVIDERS and choice.language in wanted
    ]


def run_voice(voice_id: str, language: str, folder: Path, threads: int) -> dict:
    """The voice reads every sentence in a process of its own: its memory is its own."""
    env = {**os.environ, "KOKORO_THREADS": str(threads), "PIPER_THREADS": str(threads)}
    command = [
        sys.executable,
        "-m",
        "tests.bench_voices",
        "--speak",
        voice_id,
        language,
        str(folder),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.splitlines()[-1])


def speak_all(voice_id: str, language: str, folder: str) -> dict:
    from video_app.engine import voice

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    sentences = SENTENCES[language]
    before_mb = psutil.Process().memory_info().rss / 2**20
    voice.synthesize(sentences[0], voice_id=voice_id, out_path=out / "warm-up.wav")
    (out / "warm-up.wav").unlink()
    work_s = audio_s = 0.0
    for index, sentence in enumerate(sentences):
        started = time.monotonic()
        speech = voice.synthesize(sentence, voice_id=voice_id, out_path=out / f"{index:02d}.wav")
        work_s += time.monotonic() - started
        audio_s += speech.duration_s
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "rtf": work_s / audio_s,
        "audio_s": audio_s,
        "peak_rss_mb": peak_rss_mb,
        "voice_mb": psutil.Process().memory_info().rss / 2**20 - before_mb,
    }


if __name__ == "__main__":
    main()
