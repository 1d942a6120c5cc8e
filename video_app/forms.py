"""Forms of the product's pages (crispy-bootstrap5 renders them)."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm, UserCreationForm
from django.db.models import Q

from .engine import voice
from .engine.scenes import MAX_SCRIPT_CHARS
from .models import PLATFORM_CHOICES, MediaAsset, VideoProject, VideoTemplate
from .security.content_validator import ValidatedFileField
from .services import providers
from .services.storyboard import MAX_SCENE_CHARS


class AccountRulesMixin:
    """Usernames and emails never read as one another (auth_backends.user_for_identifier): a
    new or changed username has no "@", and an email belongs to one account, ignoring case, and
    is no other account's username. Sign-up and the admin's user forms share these checks."""

    def clean_username(self):
        # UserCreationForm refuses a username taken in another case; the change form has no check.
        parent = getattr(super(), "clean_username", None)
        username = parent() if parent else self.cleaned_data.get("username")
        if username and "@" in username and "username" in self.changed_data:
            raise forms.ValidationError(
                "A username cannot contain “@”: it would read as an email address."
            )
        return username

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        others = get_user_model().objects.exclude(pk=self.instance.pk)
        if email and others.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Log in or reset your password."
            )
        return email


class SignupForm(AccountRulesMixin, UserCreationForm):
    email = forms.EmailField(
        help_text="We send password resets and 'your video is ready' emails here.",
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")
        help_texts = {"username": "Letters, digits and . + - _ only (no “@”), 150 at most."}


class AccountAdminCreationForm(AccountRulesMixin, AdminUserCreationForm):
    pass


class AccountAdminChangeForm(AccountRulesMixin, UserChangeForm):
    pass


def voice_choices() -> list[tuple[str, str]]:
    # Neural voices first: espeak-ng's hundred basic ones would bury them.
    voices = sorted(voice.available_voices(), key=lambda choice: choice.quality != "neural")
    return [("", "Default voice for the language")] + [
        (choice.id, choice.label) for choice in voices
    ]


# The lengths the script writer can aim at (ScriptRequest.target_duration_s); a plan's limit is
# checked when rendering, against the real voice lengths.
MIN_TARGET_S, MAX_TARGET_S = 10, 600


class ProjectForm(forms.ModelForm):
    platforms = forms.MultipleChoiceField(
        choices=PLATFORM_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["youtube"],
        help_text="The first one chosen shapes the storyboard; every one gets its own file.",
    )
    template = forms.ModelChoiceField(
        queryset=VideoTemplate.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        required=False,
    )
    voice_id = forms.ChoiceField(label="Voice", required=False)
    script_provider = forms.ChoiceField(label="Script writer", required=False)
    media_provider = forms.ChoiceField(label="Pictures from", required=False)

    class Meta:
        model = VideoProject
        fields = [
            "title",
            "description",
            "template",
            "platforms",
            "style",
            "target_duration_s",
            "voice_id",
            "language",
            "script_provider",
            "media_provider",
            "allow_provider_fallback",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {"target_duration_s": "Length (seconds)"}
        help_texts = {
            "description": "What the video is about and who it is for: the script writer uses it.",
            "target_duration_s": "For scripts the AI writes. Blank: the platform's usual length.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voice_id"].choices = voice_choices()
        self.fields["script_provider"].choices = providers.choices(providers.SCRIPT_PROVIDERS)
        self.fields["media_provider"].choices = providers.choices(providers.MEDIA_PROVIDERS)
        self.fields[
            "allow_provider_fallback"
        ].label = "If a cloud provider fails for a scene, use the offline default for that scene"
        self.fields["template"].label_from_instance = lambda template: template.name
        if not self.instance.pk:
            self.initial.setdefault(
                "template", VideoTemplate.objects.filter(slug="explainer").first()
            )

    def clean_target_duration_s(self):
        seconds = self.cleaned_data["target_duration_s"]
        if seconds is not None and not MIN_TARGET_S <= seconds <= MAX_TARGET_S:
            raise forms.ValidationError(
                f"Choose a length between {MIN_TARGET_S} and {MAX_TARGET_S} seconds, "
                "or leave it blank."
            )
        return seconds

    def clean_platforms(self):
        # Keep the order the platforms are listed in: the first is the main one.
        chosen = self.cleaned_data["platforms"]
        return [name for name, _ in PLATFORM_CHOICES if name in chosen]


class ScriptForm(forms.Form):
    text = forms.CharField(
        label="Script",
        widget=forms.Textarea(attrs={"rows": 16}),
        max_length=MAX_SCRIPT_CHARS,
        help_text="A paragraph per scene. Put what to show in [brackets]; "
        "write “NAME: …” for dialogue.",
    )


class SceneForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=MAX_SCENE_CHARS
    )
    visual_direction = forms.CharField(required=False, max_length=500, label="Show")


class SceneAddForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_SCENE_CHARS, label="New scene"
    )
    after = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SceneSplitForm(forms.Form):
    at = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class SceneVoiceForm(forms.Form):
    voice_id = forms.ChoiceField(label="Voice", required=False)
    speed = forms.FloatField(
        min_value=voice.MIN_SPEED,
        max_value=voice.MAX_SPEED,
        initial=1.0,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voice_id"].choices = voice_choices()


class MediaUploadForm(forms.Form):
    file = ValidatedFileField(
        allowed_kinds=("image", "video"),
        label="Upload a picture or clip",
        help_text="JPEG, PNG, WebP or GIF up to 10 MB; MP4, MOV, WebM or AVI up to 500 MB.",
    )


class PickMediaForm(forms.Form):
    asset = forms.ModelChoiceField(queryset=MediaAsset.objects.none(), empty_label=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = MediaAsset.objects.filter(
            user=user, source=MediaAsset.Source.UPLOAD
        )


class ProjectSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *VideoProject.Status.choices]
    )
