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

        # The engine has no database: give it the admin's keys and a place to record costs.
        from django.db.models.signals import post_delete, post_save

        from .engine.core import credentials, usage
        from .models import ProviderKey
        from .services import provider_keys, provider_usage

        credentials.add_lookup(provider_keys.lookup)
        usage.add_sink(provider_usage.store_call)
        post_save.connect(provider_keys.forget_cached_keys, sender=ProviderKey)
        post_delete.connect(provider_keys.forget_cached_keys, sender=ProviderKey)
