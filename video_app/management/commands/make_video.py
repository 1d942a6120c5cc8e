"""`manage.py make_video`: the whole pipeline from the command line, with no web server.

Progress bars go to stderr; the last lines on stdout are the exported files, one path a line, so
scripts can read them. Any failure ends with a plain message and a non-zero exit status.
"""

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from video_app.builtin_templates import BUILTIN, builtin_recipe
from video_app.engine import voice
from video_app.engine.core.errors import EngineError
from video_app.engine.core.styles import STYLES
from video_app.engine.export import PLATFORM_SPECS
from video_app.models import VideoTemplate
from video_app.services.production import STEPS, ProductionRequest, produce_video
from video_app.template_structure import Recipe


class Command(BaseCommand):
    help = "Make a narrated video from a topic or a script file, offline."

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--topic", help="what the video is about; a script is written for it")
        source.add_argument("--script-file", type=Path, help="a script you wrote (UTF-8 text)")
        source.add_argument("--list-voices", action="store_true", help="show installed voices")
        parser.add_argument("--description", default="", help="key points for the script")
        parser.add_argument(
            "--platform",
            dest="platforms",
            action="extend",
            nargs="+",
            choices=sorted(PLATFORM_SPECS),
            help="default: youtube",
        )
        parser.add_argument("--voice", help="a voice id from --list-voices")
        parser.add_argument("--speed", type=float, default=1.0, help="speech speed, 0.5 to 2")
        parser.add_argument("--style", default="modern", choices=sorted(STYLES))
        parser.add_argument(
            "--template", default="explainer", help="a template's slug, built in or from admin"
        )
        parser.add_argument("--language", default="en", help="language of the script, e.g. en, es")
        parser.add_argument("--tone", default="friendly")
        parser.add_argument("--music", type=Path, help="background music, ducked under the voice")
        parser.add_argument("--watermark", help="text shown in a corner of the video")
        parser.add_argument("--no-title-card", action="store_true")
        parser.add_argument(
            "--trim", action="store_true", help="cut over-long videos at a platform's limit"
        )
        parser.add_argument("--engine", choices=["ffmpeg", "moviepy"])
        parser.add_argument("--out", type=Path, default=Path("videos"), help="output folder")

    def handle(self, *args, **options):
        if options["list_voices"]:
            for choice in voice.available_voices():
                self.stdout.write(f"{choice.id}\t{choice.label}")
            return
        recipe = self._recipe(options["template"])
        if options["no_title_card"]:
            recipe = replace(recipe, title_card=replace(recipe.title_card, show=False))
        request = ProductionRequest(
            topic=options["topic"] or "",
            script_text=self._read_script(options["script_file"]),
            description=options["description"],
            platforms=tuple(dict.fromkeys(options["platforms"] or ["youtube"])),
            voice_id=options["voice"],
            speed=options["speed"],
            style=options["style"],
            language=options["language"],
            tone=options["tone"],
            recipe=recipe,
            music=self._existing(options["music"], "music"),
            watermark=options["watermark"],
            trim=options["trim"],
            engine=options["engine"],
        )
        bars = _ProgressBars(sys.stderr)
        work_root = Path(settings.DATA_DIR) / "cli-work"
        work_root.mkdir(parents=True, exist_ok=True)
        try:
            with tempfile.TemporaryDirectory(dir=work_root) as work_dir:
                result = produce_video(
                    request, options["out"], work_dir=Path(work_dir), on_progress=bars.update
                )
        except EngineError as error:
            raise CommandError(error.message) from error
        finally:
            bars.close()
        for note in result.notes:
            self.stderr.write(f"Note: {note}")
        for export in result.exports.values():
            self.stdout.write(str(export.path.resolve()))

    def _recipe(self, slug: str) -> Recipe:
        """The template's recipe from the database (staff edits count), else the built-in data:
        the command also runs where no database was ever migrated."""
        try:
            template = VideoTemplate.objects.filter(slug=slug).first()
        except DatabaseError:
            template = None
        if template is not None:
            try:
                return template.recipe
            except EngineError as error:
                raise CommandError(error.message) from error
        if slug in {data["slug"] for data in BUILTIN}:
            return builtin_recipe(slug)
        known = ", ".join(data["slug"] for data in BUILTIN)
        raise CommandError(f"Unknown template {slug!r}. Built-in templates: {known}.")

    def _read_script(self, path: Path | None) -> str | None:
        if path is None:
            return None
        try:
            return self._existing(path, "script file").read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text.") from error

    def _existing(self, path: Path | None, what: str) -> Path | None:
        if path is not None and not path.is_file():
            raise CommandError(f"The {what} {path} does not exist.")
        return path


class _ProgressBars:
    """One bar per pipeline step on a terminal; elsewhere (logs, CI) a line per quarter done."""

    def __init__(self, stream):
        self.stream = stream
        self.interactive = stream.isatty()
        self.bars: dict[str, tqdm] = {}
        self.quarters: dict[str, int] = {}

    def update(self, step: str, fraction: float, message: str) -> None:
        if not self.interactive:
            quarter = int(fraction * 4)
            if self.quarters.get(step, -1) < quarter:
                self.quarters[step] = quarter
                self.stream.write(f"{step:>7} {fraction:4.0%}  {message}\n")
                self.stream.flush()
            return
        bar = self.bars.get(step)
        if bar is None:
            position = STEPS.index(step) if step in STEPS else len(self.bars)
            bar = tqdm(
                total=100,
                desc=f"{step:>7}",
                file=self.stream,
                position=position,
                bar_format="{desc} {bar} {percentage:3.0f}% {postfix}",
            )
            self.bars[step] = bar
        bar.n = round(fraction * 100)
        bar.set_postfix_str(message[:60], refresh=True)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
