"""The two logs analytics reads. Rows outlive the project they describe (the link becomes empty
when a project is deleted) so that figures for past days stay true; they hold no creator text."""

from django.conf import settings
from django.db import models


class StepPerformance(models.Model):
    """One pipeline task's run: a step for the whole project, one scene, or one platform."""

    class Outcome(models.TextChoices):
        OK = "ok", "Succeeded"
        REUSED = "reused", "Reused earlier work"
        RETRY = "retry", "Will be retried"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (run replaced)"

    project = models.ForeignKey(
        "video_app.VideoProject",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="step_performances",
    )
    run = models.PositiveIntegerField(default=0)
    step = models.CharField(max_length=20)  # a key of PIPELINE_STEPS
    subject = models.CharField(max_length=60, blank=True)  # "scene 12", "tiktok", ...
    provider = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField()
    wall_s = models.FloatField()
    cpu_s = models.FloatField(help_text="CPU time of the worker and the programs it ran.")
    peak_memory_mb = models.FloatField(help_text="Peak resident memory of the worker process.")
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["step", "started_at"]),
            models.Index(fields=["started_at"]),
        ]

    def __str__(self):
        return f"{self.step} {self.subject} {self.outcome} {self.wall_s:.1f} s"


class UserInteraction(models.Model):
    class Action(models.TextChoices):
        WIZARD_STEP = "wizard_step", "Wizard step reached"
        PREVIEW_PLAYED = "preview_played", "Preview played"
        DOWNLOAD = "download", "Download"
        API_CALL = "api_call", "API call"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="interactions"
    )
    project = models.ForeignKey(
        "video_app.VideoProject",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.CharField(max_length=60, blank=True)  # the step, platform or file kind
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["action", "created_at"])]

    def __str__(self):
        return f"{self.user} {self.action} {self.detail}"
