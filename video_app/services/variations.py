"""Variations of a project for A/B tests: copies that each change one thing (a length, a style or
the platforms), linked to the original through `duplicated_from` and named by `variation_label`.

A copy keeps the original's script, storyboard and settings, except that a length variation needs
a script of that length: its copied script is cleared so its render run writes one from the title
and description (`target_duration_s` tells the writer how long). A script the creator wrote is
never thrown away in a copy unless they say so (`replace_script`). Renders are queued once the
copies are committed, and only if the plan can take every one of them.
"""

from dataclasses import dataclass

from django.db import transaction

from payments_app import services as quotas

from ..engine.export import PLATFORM_SPECS
from ..models import STYLE_CHOICES, VideoProject
from . import projects

MAX_VARIATIONS = 6  # a batch of renders one request may queue


class VariationsRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Variation:
    label: str  # what it changes, as a person reads it: "30 s", "Bold style", "TikTok"
    changes: dict  # the copy's fields that differ: target_duration_s, style or platforms

    @property
    def rewrites_script(self) -> bool:
        return "target_duration_s" in self.changes


def variations_of(*, durations=(), styles=(), platforms=()) -> list[Variation]:
    """One variation per value asked for, each changing that one thing."""
    style_names = dict(STYLE_CHOICES)
    return [
        *(Variation(f"{seconds} s", {"target_duration_s": seconds}) for seconds in durations),
        *(Variation(f"{style_names[style]} style", {"style": style}) for style in styles),
        *(
            Variation(
                " + ".join(PLATFORM_SPECS[name].label for name in names)[:100],
                {"platforms": list(names)},
            )
            for names in platforms
        ),
    ]


def variations_check(
    *, project: VideoProject, variations: list[Variation], replace_script: bool
) -> None:
    """Refuse what can't be made as asked: none, too many, or a creator's script replaced."""
    if project.is_busy:
        # A copy made mid-run could take a half-written script or storyboard.
        raise projects.ProjectBusy()
    if not variations:
        raise VariationsRefused("Ask for at least one variation: a length, a style or platforms.")
    if len(variations) > MAX_VARIATIONS:
        raise VariationsRefused(
            f"You asked for {len(variations)} variations; at most {MAX_VARIATIONS} are made at "
            "once. Ask for fewer, then for the rest."
        )
    script = project.script
    written_by_creator = bool(script.text.strip()) and not script.provider
    if written_by_creator and not replace_script and any(v.rewrites_script for v in variations):
        raise VariationsRefused(
            "You wrote this project's script: a variation of another length needs a new script, "
            "written from the title and description. Send replace_script: true to have one "
            "written for each length variation (your script stays in this project), or shorten "
            "the script yourself."
        )


def variations_refusal(
    *, project: VideoProject, variations: list[Variation]
) -> quotas.QuotaRefusal | None:
    """The plan's answer to rendering all of them at once: the whole batch or none of it.
    A length variation is as long as its target; the others as the original, which the render
    step checks exactly."""
    busy = projects.busy_renders(project.user)
    return quotas.render_refusal(
        project.user,
        busy_renders=busy,
        video_s=_longest_target_s(variations),
        count=len(variations),
    )


def _longest_target_s(variations: list[Variation]) -> float | None:
    targets = [v.changes["target_duration_s"] for v in variations if v.rewrites_script]
    return max(targets, default=None)


def variations_create(
    *, project: VideoProject, variations: list[Variation], render: bool
) -> list[VideoProject]:
    """The copies, and with `render` a render run of each, queued after commit. With `render`,
    raises projects.RenderRefused (and makes no copy) unless the plan takes the whole batch,
    decided under the user's plan lock like every other start."""
    with transaction.atomic():
        if render:
            longest_s = _longest_target_s(variations)
            projects.renders_claim(user=project.user, count=len(variations), video_s=longest_s)
        copies = [_variation_create(project=project, variation=v) for v in variations]
        if render:
            for copy in copies:
                projects.run_start(project=copy, kind="render")
    return copies


def _variation_create(*, project: VideoProject, variation: Variation) -> VideoProject:
    suffix = f" ({variation.label})"
    copy = projects.project_duplicate(
        project=project, title=project.title[: 200 - len(suffix)] + suffix
    )
    copy.variation_label = variation.label
    for name, value in variation.changes.items():
        setattr(copy, name, value)
    if variation.rewrites_script and copy.script.text:
        script = copy.script
        script.scenes.all().delete()
        script.text = script.provider = script.scenes_hash = ""
        script.template_based = False
        script.save(
            update_fields=["text", "provider", "scenes_hash", "template_based", "updated_at"]
        )
        copy.status = VideoProject.Status.DRAFT  # a new copy: no script yet, as when created
    copy.save()
    return copy
