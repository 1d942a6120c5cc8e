from django.apps import AppConfig


class VideoAppConfig(AppConfig):
    """The product: projects, the creation wizard, the pipeline and its AI services."""

    name = "video_app"
    verbose_name = "Videos"

    def ready(self):
        from . import signals  # noqa: F401  (connects the login/logout messages)
