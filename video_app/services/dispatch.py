"""Handing work to the Celery workers. Services queue tasks by name, so that they never import
`tasks.py`, which imports them: the layers stay one-way (tasks, views, API, admin -> services).
`tests/video_app/services/test_dispatch.py` checks every name here is a registered task.
"""

import logging

from celery import current_app

from payments_app import services as quotas

logger = logging.getLogger(__name__)

START_RUN = "video_app.tasks.start_run_task"
SEND_RUN_EMAIL = "video_app.tasks.run_email_task"

# Redis serves priority 0 first. A paid plan's work goes first (`quotas.render_priority`, 0-9),
# and within a plan a run's later steps go before other runs' earlier ones, so the video asked for
# first is finished first. (With one priority for every step, 20 renders on two workers all
# finished within 16 s of each other, five minutes in: each run's render waited behind every
# other run's scenes.)
STEP_URGENCY = {"export": 0, "render": 1, "media": 2, "voice": 2, "scenes": 3, "script": 3}


def task_priority(user, step: str) -> int:
    return min(9, round(quotas.render_priority(user) * 2 / 3) + STEP_URGENCY[step])


def queue_run(*, project, run: int, scene_ids: list[int], force: bool) -> None:
    """Queue a run's first task (a new run, a retry, or the watchdog's resume)."""
    current_app.send_task(
        START_RUN,
        args=(project.pk, run, list(scene_ids), force),
        priority=task_priority(project.user, "script"),
    )


def queue_run_email(*, project_id: int, run: int, outcome: str) -> None:
    """Queue the run's email. A broker that refuses it is logged, never raised: the run is over
    either way."""
    try:
        current_app.send_task(SEND_RUN_EMAIL, args=(project_id, run, outcome))
    except Exception:
        logger.exception("Email %r of project %s run %s not queued", outcome, project_id, run)
