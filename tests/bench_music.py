"""How long music takes to prepare and mix, and where it sits under the voice.

    .venv/bin/python -m tests.bench_music [--seconds 60] [--moods upbeat calm]

For each mood: the track is decoded and made loopable from an empty cache (then taken from it),
the procedural bed is made for comparison, and a Piper voice of about `--seconds` (the same
sentences, placed one after another with short-form pauses) is mixed over the track as the
renderer mixes it: measured, set under the voice, normalised. The levels are measured in the
result: the music stem (the mix less the same mix without music) against the voice while it
speaks (RMS), the music where nobody speaks (the last seconds before the fade-out), and the
mix's integrated loudness and true peak (ebur128). Prints a markdown table.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_core.settings.dev")

SENTENCES = [
    "Bees talk by dancing.",
    "A forager shows the hive where the flowers are.",
    "The angle of the dance points the way, and its length tells how far.",
    "Other bees follow the dance and fly straight to the food.",
]
PAUSE_S = 0.1  # between two voices, as short-form pacing leaves them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--moods", nargs="+", default=["upbeat", "calm", "cinematic"])
    options = parser.parse_args()
    django.setup()
    import numpy as np

    from tests.video_app.engine.viewer import decoded_mono
    from video_app.engine import voice
    from video_app.engine.core.loudness import measure_loudness
    from video_app.engine.render import music
    from video_app.engine.render.audio_mix import (
        Soundtrack,
        VoicePlacement,
        render_soundtrack,
    )

    def rms_db(samples) -> float:
        return 20 * np.log10(np.sqrt(np.mean(np.square(samples))) + 1e-12)

    work = Path(tempfile.mkdtemp(prefix="bench-music-"))
    speeches = [
        voice.synthesize(text, out_path=work / f"voice-{index}.wav")
        for index, text in enumerate(SENTENCES)
    ]
    voices, at_s = [], 1.0
    while at_s < options.seconds - 4:
        for speech in speeches:
            voices.append(VoicePlacement(speech.path, at_s, speech.duration_s))
            at_s += speech.duration_s + PAUSE_S
    duration_s = at_s + 3.0
    spoken_until_s = at_s - PAUSE_S

    print(f"{duration_s:.0f} s soundtrack, {len(voices)} voices\n")
    print(
        "| mood | track | decode + loop (s) | procedural bed (s) | mix (s) | music under voice "
        "(dB) | music up where nobody speaks (dB) | integrated (LUFS) | true peak (dBTP) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for mood in options.moods:
        cache = work / f"cache-{mood}"
        started = time.perf_counter()
        chosen = music.music_for(mood, seed=1, cache_dir=cache)
        prepare_s = time.perf_counter() - started
        started = time.perf_counter()
        music.music_bed(mood, seed=1, cache_dir=cache)
        bed_s = time.perf_counter() - started

        final = work / f"{mood}.m4a"
        started = time.perf_counter()
        render_soundtrack(
            Soundtrack(tuple(voices), duration_s, music=chosen.path), final, timeout_s=300
        )
        mix_s = time.perf_counter() - started

        stems = {}
        for name, bed in (("with", chosen.path), ("without", None)):
            path = work / f"{mood}-{name}.m4a"
            soundtrack = Soundtrack(tuple(voices), duration_s, music=bed, loudness_lufs=None)
            render_soundtrack(soundtrack, path, timeout_s=300)
            stems[name], rate = decoded_mono(path)
        music_stem = stems["with"] - stems["without"]
        speaking = slice(int(1.2 * rate), int(spoken_until_s * rate))
        quiet = slice(int((spoken_until_s + 0.8) * rate), int((duration_s - 2.0) * rate))
        under_db = rms_db(stems["without"][speaking]) - rms_db(music_stem[speaking])
        up_db = rms_db(music_stem[quiet]) - rms_db(music_stem[speaking])
        levels = measure_loudness(final)
        print(
            f"| {mood} | {chosen.title} | {prepare_s:.2f} | {bed_s:.2f} | {mix_s:.2f} "
            f"| {under_db:.1f} | {up_db:.1f} | {levels['integrated_lufs']:.1f} "
            f"| {levels['true_peak_db']:.1f} |"
        )


if __name__ == "__main__":
    main()
