"""What the REST API reads and writes. Serializers check input and shape output only: every write
goes through the services (`services.projects`, `services.storyboard`, `services.variations`), the
same functions the pages call, so the rules are the same whichever way a creator comes in."""

from rest_framework import serializers

from ..engine import voice
from ..engine.scenes import MAX_SCRIPT_CHARS
from ..forms import MAX_TARGET_S, MIN_TARGET_S, voice_choices
from ..models import (
    LANGUAGE_CHOICES,
    PLATFORM_CHOICES,
    STYLE_CHOICES,
    RenderedVideo,
    Scene,
    VideoProject,
    VideoTemplate,
)
from ..services import providers
from ..services.storyboard import MAX_SCENE_CHARS
from ..services.variations import MAX_VARIATIONS


def _distinct(values: list) -> list:
    """The values in the order given, each once (a platform list's first is the main one)."""
    return list(dict.fromkeys(values))


def _available(name: str, choices: list[tuple[str, str]], what: str) -> str:
    if name not in dict(choices):
        names = ", ".join(choice for choice, _ in choices if choice)
        raise serializers.ValidationError(f"“{name}” is not {what} available here: {names}.")
    return name


class RenderedVideoSerializer(serializers.ModelSerializer):
    class Meta:
        model = RenderedVideo
        fields = [
            "platform",
            "width",
            "height",
            "duration_s",
            "size_bytes",
            "trimmed",
            "created_at",
        ]


class ProjectSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=VideoTemplate.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="A template's slug, e.g. explainer.",
    )
    platforms = serializers.ListField(
        child=serializers.ChoiceField(choices=PLATFORM_CHOICES),
        min_length=1,
        max_length=len(PLATFORM_CHOICES),
        help_text="The first shapes the storyboard; each gets its own file.",
    )
    style = serializers.ChoiceField(choices=STYLE_CHOICES, default="modern")
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, default="en")
    # Which voices and providers exist depends on the installation (keys, packages): they are
    # checked against it, and the schema (the same everywhere) says only that they are names.
    voice_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="A voice installed here, e.g. piper:en_US-joe-medium; blank: the language's "
        "default voice.",
    )
    voice_speed = serializers.FloatField(
        min_value=voice.MIN_SPEED, max_value=voice.MAX_SPEED, required=False
    )
    script_provider = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=f"One of {', '.join(providers.SCRIPT_PROVIDERS)} if configured here; blank: "
        "the site's default.",
    )
    media_provider = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=f"One of {', '.join(providers.MEDIA_PROVIDERS)} if configured here; blank: "
        "the site's default.",
    )
    target_duration_s = serializers.IntegerField(
        min_value=MIN_TARGET_S,
        max_value=MAX_TARGET_S,
        required=False,
        allow_null=True,
        help_text="How long a script the AI writes should be; null: the platform's usual length.",
    )
    script = serializers.CharField(
        source="script.text",
        required=False,
        allow_blank=True,
        max_length=MAX_SCRIPT_CHARS,
        help_text="A paragraph per scene; [what to show] in brackets; NAME: for dialogue.",
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    videos = RenderedVideoSerializer(many=True, read_only=True)

    class Meta:
        model = VideoProject
        fields = [
            "id",
            "title",
            "description",
            "template",
            "platforms",
            "style",
            "language",
            "voice_id",
            "voice_speed",
            "script_provider",
            "media_provider",
            "allow_provider_fallback",
            "target_duration_s",
            "script",
            "status",
            "status_label",
            "run_number",
            "run_kind",
            "run_state",
            "failed_step",
            "error_message",
            "duplicated_from",
            "variation_label",
            "videos",
            "created_at",
            "updated_at",
            "completed_at",
        ]
        read_only_fields = [
            "status",
            "run_number",
            "run_kind",
            "run_state",
            "failed_step",
            "error_message",
            "duplicated_from",
            "variation_label",
            "completed_at",
        ]

    def validate_platforms(self, platforms):
        return _distinct(platforms)

    def validate_voice_id(self, voice_id):
        return _available(voice_id, voice_choices(), "a voice")

    def validate_script_provider(self, name):
        return _available(name, providers.choices(providers.SCRIPT_PROVIDERS), "a script writer")

    def validate_media_provider(self, name):
        return _available(name, providers.choices(providers.MEDIA_PROVIDERS), "a picture source")


class SceneSerializer(serializers.ModelSerializer):
    text = serializers.CharField(
        max_length=MAX_SCENE_CHARS, allow_blank=True, help_text="What the voice says."
    )
    visual_direction = serializers.CharField(
        max_length=500, allow_blank=True, required=False, help_text="What to show."
    )
    has_picture = serializers.SerializerMethodField()
    has_voice = serializers.SerializerMethodField()

    class Meta:
        model = Scene
        fields = [
            "id",
            "position",
            "text",
            "visual_direction",
            "keywords",
            "speaker",
            "estimated_duration_s",
            "voice_id",
            "voice_speed",
            "has_picture",
            "has_voice",
        ]
        read_only_fields = [
            "position",
            "keywords",
            "speaker",
            "estimated_duration_s",
            "voice_id",
            "voice_speed",
        ]

    def get_has_picture(self, scene) -> bool:
        return scene.media_id is not None

    def get_has_voice(self, scene) -> bool:
        return hasattr(scene, "audio")


class RenderRequestSerializer(serializers.Serializer):
    write_script = serializers.BooleanField(
        default=False,
        help_text="With no script yet, let the script writer write one from the title and "
        "description first. Without it, a project with no script is refused.",
    )


class VariationsRequestSerializer(serializers.Serializer):
    """Each value asked for makes one variation that changes that one thing."""

    durations = serializers.ListField(
        child=serializers.IntegerField(min_value=MIN_TARGET_S, max_value=MAX_TARGET_S),
        required=False,
        default=list,
        max_length=MAX_VARIATIONS,
        help_text="Lengths in seconds, one variation each; its script is written for it.",
    )
    styles = serializers.ListField(
        child=serializers.ChoiceField(choices=STYLE_CHOICES),
        required=False,
        default=list,
        max_length=MAX_VARIATIONS,
        help_text="Styles, one variation each.",
    )
    platforms = serializers.ListField(
        child=serializers.ListField(
            child=serializers.ChoiceField(choices=PLATFORM_CHOICES),
            min_length=1,
            max_length=len(PLATFORM_CHOICES),
        ),
        required=False,
        default=list,
        max_length=MAX_VARIATIONS,
        help_text='Platform lists, one variation each, e.g. [["tiktok"], ["youtube"]].',
    )
    render = serializers.BooleanField(
        default=False, help_text="Render every variation (refused whole if the plan can't)."
    )
    replace_script = serializers.BooleanField(
        default=False,
        help_text="Allow length variations of a script you wrote: each gets a new script.",
    )

    def validate_durations(self, durations):
        original = self.context["project"].target_duration_s
        if len(set(durations)) < len(durations):
            raise serializers.ValidationError("Each length once.")
        if original in durations:
            raise serializers.ValidationError(f"The project already aims at {original} s.")
        return durations

    def validate_styles(self, styles):
        if len(set(styles)) < len(styles):
            raise serializers.ValidationError("Each style once.")
        if self.context["project"].style in styles:
            raise serializers.ValidationError(
                f"The project already uses the {self.context['project'].style} style."
            )
        return styles

    def validate_platforms(self, platforms):
        platforms = [_distinct(names) for names in platforms]
        if len({tuple(names) for names in platforms}) < len(platforms):
            raise serializers.ValidationError("Each list of platforms once.")
        if self.context["project"].platforms in platforms:
            raise serializers.ValidationError("The project already has these platforms.")
        return platforms


class ProjectStateSerializer(serializers.Serializer):
    """The stored state of a project's current run (`services.progress.project_state`), as the
    page's progress bar and `GET /projects/<id>/status/` show it."""

    class StepSerializer(serializers.Serializer):
        name = serializers.CharField()
        label = serializers.CharField()
        state = serializers.CharField()
        progress = serializers.IntegerField(help_text="Percent.")

    project = serializers.IntegerField()
    status = serializers.ChoiceField(choices=VideoProject.Status.choices)
    status_label = serializers.CharField()
    run = serializers.IntegerField()
    run_kind = serializers.CharField()
    run_state = serializers.ChoiceField(choices=VideoProject.RunState.choices)
    step = serializers.CharField()
    message = serializers.CharField()
    progress = serializers.FloatField(help_text="Percent of the whole run.")
    eta_s = serializers.IntegerField(allow_null=True, help_text="Seconds left, when known.")
    eta_floor_s = serializers.IntegerField(
        allow_null=True,
        help_text="Seconds of steps not begun yet: the time left never goes below it.",
    )
    error = serializers.CharField()
    steps = StepSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why, in a sentence.")


class QuotaErrorSerializer(ErrorSerializer):
    limit = serializers.ChoiceField(
        choices=["renders", "concurrent", "length"], help_text="Which of the plan's limits refused."
    )
