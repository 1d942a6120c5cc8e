"""What a creator makes: a project, its script split into scenes, a picture and a voice per scene,
and one rendered video per target platform; plus the templates projects start from.

The project's `status` is the wizard's stage (a small state machine, `VideoProject.move_to`).
Work in the background runs as numbered *runs* (`run_number`): every Celery task carries the run
it belongs to, so a task of a superseded run does nothing, and `PipelineStep` rows record each
step's progress for the page, the status view and staff.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from .engine.core.styles import STYLES
from .engine.export import PLATFORM_SPECS
from .template_structure import Recipe, recipe_from_structure, structure_errors


def content_hash(*parts) -> str:
    """A short stable hash of plain data: the key that lets unchanged work be reused."""
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()[:32]


# The pipeline's steps, in order, as the progress bar names them.
PIPELINE_STEPS = {
    "script": "Script",
    "scenes": "Scenes",
    "media": "Media",
    "voice": "Voice",
    "render": "Render",
    "export": "Export",
}
PLATFORM_CHOICES = [(name, spec.label) for name, spec in PLATFORM_SPECS.items()]
STYLE_CHOICES = [(name, name.replace("_", " ").capitalize()) for name in STYLES]
LANGUAGE_CHOICES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("de", "German"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
    ("nl", "Dutch"),
    ("ja", "Japanese"),
    ("zh", "Chinese"),
    ("ko", "Korean"),
]


class VideoTemplate(models.Model):
    """A recipe a project starts from: pacing, transitions, title and outro cards."""

    class Category(models.TextChoices):
        PROMO = "PROMO", "Promotional"
        EDUC = "EDUC", "Educational"
        CORP = "CORP", "Corporate"
        SOCIAL = "SOCL", "Social"
        NEWS = "NEWS", "News"
        STORY = "STORY", "Storytelling"

    class Difficulty(models.IntegerChoices):
        BASIC = 1, "Basic"
        INTERMEDIATE = 2, "Intermediate"
        ADVANCED = 3, "Advanced"

    class Industry(models.TextChoices):
        TECH = "TECH", "Technology"
        RETAIL = "RETL", "Retail"
        HEALTH = "HLTH", "Health"
        EDUCATION = "EDU", "Education"
        MEDIA = "MEDIA", "Media"
        GENERAL = "GEN", "General"

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField()
    preview_image = models.ImageField(upload_to="templates/previews/", blank=True)
    json_structure = models.JSONField(default=dict, blank=True)
    category = models.CharField(max_length=50, choices=Category.choices)
    difficulty_level = models.IntegerField(choices=Difficulty.choices, default=Difficulty.BASIC)
    industry = models.CharField(max_length=50, choices=Industry.choices, default=Industry.GENERAL)
    estimated_duration = models.IntegerField(help_text="Duration in seconds")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["category", "difficulty_level"]),
            models.Index(fields=["industry"]),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if errors := structure_errors(self.json_structure):
            raise ValidationError({"json_structure": errors})

    @property
    def recipe(self) -> Recipe:
        """What this template makes of a video (template_structure.py)."""
        return recipe_from_structure(self.json_structure)


class VideoProject(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCRIPTING = "scripting", "Script"
        STORYBOARD = "storyboard", "Scenes"
        MEDIA = "media", "Media"
        VOICE = "voice", "Voice"
        RENDERING = "rendering", "Rendering"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    class RunState(models.TextChoices):
        IDLE = "idle", "Idle"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    # A run in these states has work queued or in hand (its tasks act; it may be cancelled).
    BUSY_STATES = (RunState.QUEUED, RunState.RUNNING)

    # Which stage may follow which. Editing goes back (a new script voids the storyboard);
    # a render can start from any stage once there is a script, and a failed one can be retried;
    # a cancelled render goes back to the stage it left (`projects.run_cancel`).
    TRANSITIONS = {
        Status.DRAFT: {Status.SCRIPTING, Status.RENDERING},
        Status.SCRIPTING: {Status.STORYBOARD, Status.RENDERING},
        Status.STORYBOARD: {Status.SCRIPTING, Status.MEDIA, Status.VOICE, Status.RENDERING},
        Status.MEDIA: {Status.SCRIPTING, Status.STORYBOARD, Status.VOICE, Status.RENDERING},
        Status.VOICE: {Status.SCRIPTING, Status.STORYBOARD, Status.MEDIA, Status.RENDERING},
        Status.RENDERING: {
            Status.COMPLETED,
            Status.FAILED,
            Status.DRAFT,
            Status.SCRIPTING,
            Status.STORYBOARD,
            Status.MEDIA,
            Status.VOICE,
        },
        Status.COMPLETED: {
            Status.SCRIPTING,
            Status.STORYBOARD,
            Status.MEDIA,
            Status.VOICE,
            Status.RENDERING,
        },
        Status.FAILED: {
            Status.SCRIPTING,
            Status.STORYBOARD,
            Status.MEDIA,
            Status.VOICE,
            Status.RENDERING,
        },
    }

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="video_projects"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    template = models.ForeignKey(
        VideoTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="projects"
    )
    platforms = models.JSONField(default=list)  # names from PLATFORM_SPECS, first is the main one
    style = models.CharField(max_length=40, choices=STYLE_CHOICES, default="modern")
    voice_id = models.CharField(max_length=100, blank=True)  # blank: the language's default
    voice_speed = models.FloatField(default=1.0)
    language = models.CharField(max_length=10, choices=LANGUAGE_CHOICES, default="en")
    # Providers for this project; blank: the site's configured default (settings.AI_PROVIDERS).
    script_provider = models.CharField(max_length=40, blank=True)
    media_provider = models.CharField(max_length=40, blank=True)
    # When a cloud provider fails for one scene, use the offline default for that scene instead of
    # failing the step (the storyboard says so).
    allow_provider_fallback = models.BooleanField(default=True)
    duplicated_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    # A variation (API `generate_variations`) says what it changes from the project it copies.
    variation_label = models.CharField(max_length=100, blank=True)
    # How long the video should be; blank: the template's length, else the platform's usual one.
    target_duration_s = models.PositiveIntegerField(
        null=True, blank=True, help_text="Target length in seconds."
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    failed_step = models.CharField(max_length=20, blank=True)
    error_message = models.TextField(blank=True)  # for the creator
    error_detail = models.TextField(blank=True)  # for staff

    # The current (or last) background run: what it does and how far it got.
    run_number = models.PositiveIntegerField(default=0)
    run_kind = models.CharField(max_length=20, blank=True)  # "script", "scenes", ..., "render"
    run_state = models.CharField(max_length=20, choices=RunState.choices, default=RunState.IDLE)
    run_started_at = models.DateTimeField(null=True, blank=True)
    run_finished_at = models.DateTimeField(null=True, blank=True)
    emailed_run = models.PositiveIntegerField(default=0)  # the last run the user was emailed about
    # What the run was asked with, so the watchdog can queue it again as it was:
    # {"scene_ids": [...], "force": bool, "from_status": the stage a render left}.
    run_options = models.JSONField(default=dict, blank=True)
    # The run's last sign of life (started, a task began or ended, resumed): the watchdog's clock
    # for a run that holds no task and has no message in the broker.
    run_seen_at = models.DateTimeField(null=True, blank=True)
    run_resumes = models.PositiveSmallIntegerField(default=0)  # times the watchdog re-queued it
    # Rendered masters, one per aspect ratio, that exports are made from:
    # {"16:9": {"file": storage name, "input_hash": ..., "cues": [...]}}
    masters = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["user", "-updated_at"]), models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.title} ({self.user})"

    def get_absolute_url(self):
        return reverse("video_app:project_detail", args=[self.pk])

    @property
    def is_busy(self) -> bool:
        return self.run_state in self.BUSY_STATES

    def can_move_to(self, status: str) -> bool:
        return status == self.status or status in self.TRANSITIONS[self.status]

    def move_to(self, status: str) -> None:
        """Change stage in memory; callers save. Refuses moves the wizard never makes."""
        if not self.can_move_to(status):
            raise ValueError(f"A project cannot go from {self.status} to {status}.")
        self.status = status

    @property
    def main_video(self) -> "RenderedVideo | None":
        """The video of the first platform listed (uses prefetched videos when there are)."""
        order = {name: index for index, name in enumerate(self.platforms)}
        videos = sorted(self.videos.all(), key=lambda video: order.get(video.platform, len(order)))
        return videos[0] if videos else None

    @property
    def failed_step_label(self) -> str:
        return PIPELINE_STEPS.get(self.failed_step, "")

    def platform_specs(self):
        return [PLATFORM_SPECS[name] for name in self.platforms if name in PLATFORM_SPECS]


class PipelineStep(models.Model):
    """One step of one run: its state and progress, what the progress bar and staff see."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    project = models.ForeignKey(VideoProject, on_delete=models.CASCADE, related_name="steps")
    run_number = models.PositiveIntegerField()
    name = models.CharField(max_length=20)
    position = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    progress = models.FloatField(default=0.0)  # 0..1
    message = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "run_number", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "run_number", "name"], name="one_step_per_run"
            )
        ]

    def __str__(self):
        return f"{self.project_id}#{self.run_number} {self.name}"

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class TaskInHand(models.Model):
    """A pipeline task a worker is running now, with the last sign of life from its process.

    Written when the task starts, touched every `RUN_HEARTBEAT_S` while it runs, deleted when it
    ends however it ends. A row left behind means the process died with the task in hand: the
    broker hands the task out again (its start then counts another attempt), and the watchdog
    (`services/watchdog.py`) resumes the run if nobody picks it up within `RUN_LOST_AFTER_S`.
    """

    task_id = models.CharField(max_length=255)
    task_name = models.CharField(max_length=200)
    project = models.ForeignKey(VideoProject, on_delete=models.CASCADE, related_name="+")
    run_number = models.PositiveIntegerField()
    step = models.CharField(max_length=20)
    worker = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)  # starts without an end, this one too
    started_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name_plural = "tasks in hand"
        constraints = [
            # A replaced task's successor keeps its id, so the name is part of the identity.
            models.UniqueConstraint(fields=["task_id", "task_name"], name="one_row_per_task")
        ]

    def __str__(self):
        return f"{self.task_name} for project {self.project_id} run {self.run_number}"


class VideoScript(models.Model):
    project = models.OneToOneField(VideoProject, on_delete=models.CASCADE, related_name="script")
    text = models.TextField(blank=True)
    voice_id = models.CharField(max_length=100, blank=True)
    provider = models.CharField(max_length=40, blank=True)  # blank: written by the creator
    template_based = models.BooleanField(default=False)  # written from a template, not a model
    note = models.CharField(max_length=300, blank=True)  # e.g. why the offline writer was used
    scenes_hash = models.CharField(max_length=32, blank=True)  # the text the scenes came from
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Script of {self.project}"

    @property
    def text_hash(self) -> str:
        return content_hash(self.text, self.project.language, self.project.platforms[:1])

    @property
    def scenes_are_current(self) -> bool:
        return bool(self.scenes_hash) and self.scenes_hash == self.text_hash


def project_file_path(instance, filename: str) -> str:
    project = instance.project if hasattr(instance, "project") else instance.scene.project
    return f"projects/{project.user_id}/{project.pk}/{filename}"


def media_file_path(instance, filename: str) -> str:
    return f"media/{instance.user_id}/{filename}"


def voice_file_path(instance, filename: str) -> str:
    return f"voices/{instance.scene.script.project.user_id}/{filename}"


class Scene(models.Model):
    script = models.ForeignKey(VideoScript, on_delete=models.CASCADE, related_name="scenes")
    position = models.PositiveIntegerField()
    text = models.TextField()  # the narration
    visual_direction = models.TextField(blank=True)
    keywords = models.JSONField(default=list, blank=True)
    speaker = models.CharField(max_length=60, blank=True)
    estimated_duration_s = models.FloatField(default=0.0)
    voice_id = models.CharField(max_length=100, blank=True)  # blank: the project's voice
    voice_speed = models.FloatField(null=True, blank=True)  # None: the project's speed
    media = models.ForeignKey(
        "MediaAsset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # the picture shown

    class Meta:
        ordering = ["script", "position"]
        indexes = [models.Index(fields=["script", "position"])]

    def __str__(self):
        return f"Scene {self.position + 1} of {self.script.project}"

    @property
    def project(self) -> VideoProject:
        return self.script.project


class MediaAsset(models.Model):
    """A picture or clip: made for a scene, or uploaded to the user's library. Picking a library
    item for a scene adds a row that shares the file; the file goes when its last row does."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Picture"
        VIDEO = "video", "Video clip"

    class Source(models.TextChoices):
        PROCEDURAL = "procedural", "Designed picture"
        LIBRARY = "library", "From your library"
        UPLOAD = "upload", "Uploaded"
        STOCK = "stock", "Stock"
        GENERATED = "generated", "Image model"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_assets"
    )
    scene = models.ForeignKey(
        Scene, on_delete=models.CASCADE, null=True, blank=True, related_name="media_assets"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    provider = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=200, blank=True)
    file = models.FileField(upload_to=media_file_path, max_length=300)
    thumbnail = models.ImageField(upload_to=media_file_path, max_length=300, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    duration_s = models.FloatField(null=True, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    keywords = models.JSONField(default=list, blank=True)
    query = models.CharField(max_length=300, blank=True)
    attribution = models.CharField(max_length=300, blank=True)
    file_hash = models.CharField(max_length=64, blank=True)  # of the bytes
    input_hash = models.CharField(max_length=32, blank=True)  # of what it was made from
    variant = models.PositiveIntegerField(default=0)  # bumped by "regenerate"
    note = models.CharField(max_length=300, blank=True)  # e.g. why the offline default was used
    # What the provider said about it: Stability's seed (to make it again), a stock page's URL.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "source"])]

    def __str__(self):
        return self.title or self.file.name

    @property
    def in_library(self) -> bool:
        return self.source == self.Source.UPLOAD


class AudioAsset(models.Model):
    """A scene's voiceover with when each word is spoken (for captions)."""

    scene = models.OneToOneField(Scene, on_delete=models.CASCADE, related_name="audio")
    file = models.FileField(upload_to=voice_file_path, max_length=300)
    voice_id = models.CharField(max_length=100)
    provider = models.CharField(max_length=40)
    speed = models.FloatField(default=1.0)
    duration_s = models.FloatField()
    word_timings = models.JSONField(default=list)  # [[text, start_s, end_s], ...]
    timing_precision = models.CharField(max_length=10, default="word")
    input_hash = models.CharField(max_length=32)
    note = models.CharField(max_length=300, blank=True)  # e.g. why an offline voice was used
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Voice of {self.scene}"


class RenderedVideo(models.Model):
    """The finished video for one platform, with its captions and thumbnail."""

    project = models.ForeignKey(VideoProject, on_delete=models.CASCADE, related_name="videos")
    platform = models.CharField(max_length=40, choices=PLATFORM_CHOICES)
    file = models.FileField(upload_to=project_file_path, max_length=300)
    thumbnail = models.ImageField(upload_to=project_file_path, max_length=300, blank=True)
    srt_file = models.FileField(upload_to=project_file_path, max_length=300, blank=True)
    vtt_file = models.FileField(upload_to=project_file_path, max_length=300, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    duration_s = models.FloatField()
    size_bytes = models.PositiveBigIntegerField(default=0)
    trimmed = models.BooleanField(default=False)
    input_hash = models.CharField(max_length=32)
    run_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "platform"]
        constraints = [
            models.UniqueConstraint(fields=["project", "platform"], name="one_video_per_platform")
        ]

    def __str__(self):
        return f"{self.project} for {self.get_platform_display()}"


class ProviderCall(models.Model):
    """One call to a paid provider: what it cost and how it went (for analytics and bills)."""

    provider = models.CharField(max_length=60)
    capability = models.CharField(max_length=20)
    units = models.FloatField()
    unit = models.CharField(max_length=20)
    outcome = models.CharField(max_length=20)
    duration_s = models.FloatField()
    project = models.ForeignKey(
        VideoProject,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="provider_calls",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["provider", "created_at"])]

    def __str__(self):
        return f"{self.provider} {self.units:g} {self.unit} ({self.outcome})"


class ProviderKey(models.Model):
    """An API key kept by staff in admin, for operators who don't manage the environment.
    The environment wins when both are set. Never shown again once saved."""

    name = models.CharField(max_length=60, unique=True)  # the setting's name: "PEXELS_API_KEY"
    value = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


# The analytics logs live in their own module (video_app/analytics) but belong to this app.
from .analytics.models import StepPerformance, UserInteraction  # noqa: E402, F401
