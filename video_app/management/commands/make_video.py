"""`manage.py make_video`: a whole video from the command line, with no web server.

It makes a project as the wizard does and runs the pipeline's own steps in this process
(`services.in_process`): the same rules (the account's plan, the platforms' lengths), the same
steps, the same video. The project stays on the account's dashboard. With the embedded default
(no DATABASE_URL, no REDIS_URL) nothing else needs to run: the database is set up on first use
and the private Redis is started for the command's duration when `make run` is not running.

Progress bars go to stderr; the last lines on stdout are the exported files, one path a line, so
scripts can read them. Any failure ends with a plain message and a non-zero exit status.
"""

import re
import shutil
import sys
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.text import slugify
from tqdm import tqdm

from project_core.embedded import EmbeddedRedis, redis_answers
from video_app.engine import voice
from video_app.engine.core.errors import EngineError
from video_app.engine.core.styles import STYLES
from video_app.engine.export import PLATFORM_SPECS
from video_app.models import PIPELINE_STEPS, RenderedVideo, VideoTemplate
from video_app.services import in_process, progress, projects

DIRECTION = re.compile(r"\[[^\]]*\]")  # a [visual direction] in a script


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
        parser.add_argument(
            "--user",
            help="the account (username or email) whose plan applies and whose dashboard shows "
            "the project; default: the machine's own account, with no limits",
        )
        parser.add_argument("--out", type=Path, default=Path("videos"), help="output folder")

    def handle(self, *args, **options):
        if options["list_voices"]:
            for choice in voice.available_voices():
                self.stdout.write(f"{choice.id}\t{choice.label}")
            return
        script = self._read_script(options["script_file"])
        voices = {choice.id for choice in voice.available_voices()}
        if options["voice"] and options["voice"] not in voices:
            raise CommandError(
                f"Voice {options['voice']!r} is not installed: --list-voices shows those that are."
            )
        bars = _ProgressBars(sys.stderr)
        with _embedded_redis():
            self._ready_database()
            try:
                project = self._project(options, script)
                run = projects.run_start(project=project, kind="render", queue=False)
            except (EngineError, projects.RunRefused) as error:
                raise CommandError(error.message) from error
            try:
                with progress.listening(bars.update):
                    in_process.run_in_process(project.pk, run)
            except Exception as error:
                # The run failed and says why in words for its owner (pipeline.fail_run).
                project.refresh_from_db()
                message = getattr(error, "message", "") or project.error_message or str(error)
                raise CommandError(message) from error
            finally:
                bars.close()
            project.refresh_from_db()
            for note in _notes(project):
                self.stderr.write(f"Note: {note}")
            for path in _copied_exports(project, options["out"]):
                self.stdout.write(str(path.resolve()))

    def _project(self, options: dict, script: str | None):
        """The project, as the wizard would make it from these answers."""
        if options["template"] not in {t.slug for t in VideoTemplate.objects.all()}:
            known = ", ".join(VideoTemplate.objects.order_by("pk").values_list("slug", flat=True))
            raise CommandError(f"Unknown template {options['template']!r}. Templates: {known}.")
        title = (options["topic"] or "").strip() or _title_of(script or "")
        if not title:
            raise CommandError("The script is empty: write what the video should say.")
        project = projects.project_create(
            user=in_process.command_line_user(options["user"]),
            title=title[:200],
            description=options["description"],
            template=VideoTemplate.objects.get(slug=options["template"]),
            platforms=list(dict.fromkeys(options["platforms"] or ["youtube"])),
            style=options["style"],
            voice_id=options["voice"] or "",
            language=options["language"],
        )
        projects.project_update_settings(project=project, voice_speed=options["speed"])
        if script is not None:
            projects.script_save(project=project, text=script)
        return project

    def _ready_database(self) -> None:
        """The embedded database is set up (migrated) on first use; any other is the site's own,
        which only its operator migrates."""
        executor = MigrationExecutor(connection)
        if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
            return
        if connection.vendor != "sqlite":
            raise CommandError(
                "The database is not up to date: run `manage.py migrate` first, then try again."
            )
        call_command("migrate", interactive=False, verbosity=0)

    def _read_script(self, path: Path | None) -> str | None:
        if path is None:
            return None
        if not path.is_file():
            raise CommandError(f"The script file {path} does not exist.")
        try:
            script = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text.") from error
        if not script.strip():
            raise CommandError("The script is empty: write what the video should say.")
        return script


def _title_of(script: str) -> str:
    """A script's first line, without its [visual directions]."""
    lines = [line for line in DIRECTION.sub("", script).splitlines() if line.strip()]
    return lines[0].strip()[:80] if lines else ""


def _embedded_redis():
    """The embedded default's Redis for the command's duration, unless it already answers (`make
    run` is running) or REDIS_URL names another."""
    stack = ExitStack()
    folder = settings.EMBEDDED_REDIS_DIR
    if settings.EMBEDDED_REDIS and not redis_answers(folder / "redis.sock"):
        server = EmbeddedRedis(folder)
        server.start()
        stack.callback(server.stop)
    return stack


def _notes(project) -> list[str]:
    """Every stand-in the run took, in a sentence: the template writer, a drawn picture instead
    of a provider's, another voice, the procedural music bed."""
    script = project.script
    notes = [script.note] if script.note else []
    for scene in script.scenes.select_related("media", "audio").order_by("position"):
        if scene.media is not None and scene.media.note:
            notes.append(f"Scene {scene.position + 1}: {scene.media.note}")
        audio = getattr(scene, "audio", None)
        if audio is not None and audio.note:
            notes.append(f"Scene {scene.position + 1}: {audio.note}")
        if audio is not None and audio.provider == "espeak":
            notes.append(
                f"Scene {scene.position + 1}: no natural voice speaks '{project.language}' "
                f"here; the basic voice ({audio.voice_id}) reads it."
            )
    for master in project.masters.values():
        music = master.get("music") or {}
        notes += [music["note"]] if music.get("note") else []
    return list(dict.fromkeys(notes))


def _copied_exports(project, out_dir: Path) -> list[Path]:
    """The project's exports copied out of storage into `out_dir` as "<title>.<platform>.mp4",
    each with its captions (.srt, .vtt) and thumbnail (.jpg) beside it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = slugify(project.title)[:50] or "video"
    copied = []
    for platform in project.platforms:
        video = RenderedVideo.objects.get(project=project, platform=platform)
        files = {"mp4": video.file, "srt": video.srt_file, "vtt": video.vtt_file}
        files["jpg"] = video.thumbnail
        for extension, stored in files.items():
            if not stored:
                continue
            with (
                stored.open("rb") as source,
                (out_dir / f"{stem}.{platform}.{extension}").open("wb") as copy,
            ):
                shutil.copyfileobj(source, copy)
        copied.append(out_dir / f"{stem}.{platform}.mp4")
    return copied


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
            steps = list(PIPELINE_STEPS)
            position = steps.index(step) if step in steps else len(self.bars)
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
