from django.apps import AppConfig


class VideoAppConfig(AppConfig):
    """The product: projects, the creation wizard, the pipeline and its AI services."""

    name = "video_app"
    verbose_name = "Videos"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401  (connects the login/logout messages, file cleanup)
        from .builtin_templates import install_builtin_templates

        post_migrate.connect(install_builtin_templates, sender=self)
