"""What a render run costs, with a real worker and real FFmpeg: a render that made a video counts
once; an unchanged re-render, which reuses every master and export, makes nothing and costs
nothing (`pipeline.finish_run`, `payments_app.services.record_render`)."""

import pytest

from payments_app import services as quotas
from payments_app.models import RenderUsage
from tests.video_app.factories import make_project
from tests.video_app.services.test_pipeline import wait_for_run
from video_app.models import RenderedVideo, VideoProject
from video_app.services import projects

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_it_does_not_count_an_unchanged_re_render(alice, celery_worker_process):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")
    wait_for_run(project)
    [first] = RenderedVideo.objects.filter(project=project)

    projects.run_start(project=project, kind="render")
    wait_for_run(project)

    assert project.run_state == VideoProject.RunState.SUCCEEDED, project.error_detail
    [second] = RenderedVideo.objects.filter(project=project)
    assert (second.file.name, second.run_number) == (first.file.name, 1)  # reused, not remade
    assert list(RenderUsage.objects.filter(user=alice).values_list("run_number", flat=True)) == [1]
    assert quotas.renders_used(alice) == 1
