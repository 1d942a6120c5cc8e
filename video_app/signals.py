"""Tell the user, on the next page, that they have logged in or out; remove files from storage
when the rows that own them are deleted (after commit, so a rollback loses nothing)."""

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import AudioAsset, MediaAsset, RenderedVideo, VideoProject, VideoTemplate
from .services.cache_service import VideoCacheService
from .services.files import delete_after_commit


@receiver(user_logged_in)
def greet_on_login(sender, request, user, **kwargs):
    # Sign-up logs the new user in and says its own welcome.
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "signup":
        return
    if request is not None and hasattr(request, "_messages"):
        messages.success(request, f"Welcome back, {user.get_username()}.")


@receiver(user_logged_out)
def confirm_logout(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "_messages"):
        messages.info(request, "You have been logged out.")


@receiver(post_delete, sender=MediaAsset)
def delete_media_files(sender, instance, **kwargs):
    # A library pick shares its file with the upload: the file goes with the last row using it.
    for field in (instance.file, instance.thumbnail):
        still_used = MediaAsset.objects.filter(**{field.field.name: field.name}).exists()
        if field.name and not still_used:
            delete_after_commit(field.storage, field.name)
    # An illustrated picture's moving parts (services/pipeline.py stores them per row).
    details = instance.details or {}
    layers = [details.get("plate"), *(layer.get("path") for layer in details.get("layers", ()))]
    delete_after_commit(instance.file.storage, *(name for name in layers if name))


@receiver(post_delete, sender=AudioAsset)
@receiver(post_delete, sender=RenderedVideo)
@receiver(post_delete, sender=VideoTemplate)
def delete_row_files(sender, instance, **kwargs):
    for field in instance._meta.get_fields():
        value = getattr(instance, field.name, None) if field.concrete else None
        if hasattr(value, "storage") and value.name:
            delete_after_commit(value.storage, value.name)


@receiver(post_delete, sender=RenderedVideo)
def delete_video_preview(sender, instance, **kwargs):
    VideoCacheService().forget_video_preview(instance)


@receiver(post_delete, sender=VideoProject)
def delete_project_masters(sender, instance, **kwargs):
    from django.core.files.storage import default_storage

    delete_after_commit(default_storage, *(m["file"] for m in instance.masters.values()))
