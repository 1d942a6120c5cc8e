from django.urls import path

from . import views
from .views import files, interactions, projects, wizard

app_name = "video_app"

scene = "projects/<int:project_id>/scenes/<int:scene_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("dashboard/", projects.dashboard, name="dashboard"),
    path("projects/new/", projects.project_create, name="project_create"),
    path("projects/<int:project_id>/", projects.project_detail, name="project_detail"),
    path("projects/<int:project_id>/settings/", projects.project_settings, name="project_settings"),
    path("projects/<int:project_id>/render/", projects.project_render, name="render"),
    path("projects/<int:project_id>/retry/", projects.project_retry, name="project_retry"),
    path("projects/<int:project_id>/cancel/", projects.project_cancel, name="project_cancel"),
    path(
        "projects/<int:project_id>/duplicate/", projects.project_duplicate, name="project_duplicate"
    ),
    path("projects/<int:project_id>/delete/", projects.project_delete, name="project_delete"),
    path("projects/<int:project_id>/status/", projects.project_status, name="project_status"),
    path(
        "projects/<int:project_id>/interactions/",
        interactions.interaction_beacon,
        name="interaction_beacon",
    ),
    # The wizard
    path("projects/<int:project_id>/script/", wizard.script, name="script"),
    path(
        "projects/<int:project_id>/script/generate/", wizard.script_generate, name="script_generate"
    ),
    path("projects/<int:project_id>/scenes/make/", wizard.scenes_make, name="scenes_make"),
    path("projects/<int:project_id>/storyboard/", wizard.storyboard_page, name="storyboard"),
    path("projects/<int:project_id>/scenes/add/", wizard.scene_add, name="scene_add"),
    path(scene + "edit/", wizard.scene_edit, name="scene_edit"),
    path(scene + "move/", wizard.scene_move, name="scene_move"),
    path(scene + "split/", wizard.scene_split, name="scene_split"),
    path(scene + "merge/", wizard.scene_merge, name="scene_merge"),
    path(scene + "delete/", wizard.scene_delete, name="scene_delete"),
    path("projects/<int:project_id>/media/", wizard.media_page, name="media"),
    path(scene + "media/regenerate/", wizard.scene_media_regenerate, name="scene_media_regenerate"),
    path(scene + "media/upload/", wizard.scene_media_upload, name="scene_media_upload"),
    path(scene + "media/pick/", wizard.scene_media_pick, name="scene_media_pick"),
    path("projects/<int:project_id>/voice/", wizard.voice_page, name="voice"),
    path(scene + "voice/", wizard.scene_voice, name="scene_voice"),
    # Files, each behind an ownership check
    path(
        "projects/<int:project_id>/videos/<int:video_id>/<str:kind>/",
        files.rendered_file,
        name="rendered_file",
    ),
    path(scene + "voice.wav", files.scene_audio, name="scene_audio"),
    path("library/<int:asset_id>/<str:kind>/", files.media_file, name="media_file"),
    path("voices/sample/", files.voice_sample, name="voice_sample"),
    path("media/<path:name>", files.stored_file, name="stored_file"),
    path("templates/<slug:slug>/preview/", files.template_preview, name="template_preview"),
]
