"""The email a render run sends its creator when it ends: done or failed, one per run.

The pipeline only queues it (`run_email_queue`) once the run's end is committed; its own Celery
task (`tasks.run_email_task`) sends it and retries a mail server's failures by itself, so an email
can never fail, repeat or re-charge a run that is already over.
"""

import logging
import re
import unicodedata

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

from ..models import VideoProject
from . import dispatch

logger = logging.getLogger(__name__)

# Options of the tasks that send email (Celery's): a mail server that is down or slow
# (SMTPException and socket errors are OSErrors) is tried again after about 30 s, 1 min, 2 min ...
# up to an hour apart, for about a day; then the failure is logged.
MAIL_SERVER_RETRIES = {
    "autoretry_for": (OSError,),
    "retry_backoff": 30,
    "retry_backoff_max": 60 * 60,
    "retry_jitter": True,
    "max_retries": 30,
}
SUBJECT_MAX_CHARS = 120  # what mail clients show in a list, with room for the title
RUN_EMAILS = {
    # outcome: (plain-text template, subject with the project's title)
    "done": ("video_app/email/render_done.txt", "Your video “{title}” is ready"),
    "failed": ("video_app/email/render_failed.txt", "Your video “{title}” could not be made"),
}


def email_subject(text: str) -> str:
    """A subject line from any text: line breaks and other control characters (which make
    Django refuse the header) become spaces, runs of spaces one, and it is cut to
    SUBJECT_MAX_CHARS with an ellipsis."""
    visible = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    subject = re.sub(r"\s+", " ", visible).strip()
    if len(subject) > SUBJECT_MAX_CHARS:
        subject = subject[: SUBJECT_MAX_CHARS - 1].rstrip() + "…"
    return subject


def site_link(path: str) -> str:
    """An absolute link to a page of the site, at the address it is served on (SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + path


def run_email_queue(*, project_id: int, run: int, outcome: str) -> None:
    """Queue the run's email once the transaction that ended the run commits. A broker that
    refuses it is logged, never raised: the run is over either way."""
    transaction.on_commit(
        lambda: dispatch.queue_run_email(project_id=project_id, run=run, outcome=outcome)
    )


def run_email_send(*, project_id: int, run: int, outcome: str) -> bool:
    """Send the run's email unless it was sent already; True if sent now.

    The run's email is claimed by a conditional update of `emailed_run` before sending, so a
    redelivered task, or two copies at once, find it claimed and send nothing. A failed send
    gives the claim back and raises, for the task to retry. (A worker killed between the claim
    and the send loses that email rather than risking a second one.)"""
    template, subject = RUN_EMAILS[outcome]
    project = VideoProject.objects.select_related("user").filter(pk=project_id).first()
    if project is None or not project.user.email or project.emailed_run >= run:
        return False
    before = project.emailed_run
    claim = VideoProject.objects.filter(pk=project_id, emailed_run=before)
    if not claim.update(emailed_run=run):
        return False
    context = {
        "project": project,
        "user": project.user,
        "url": site_link(project.get_absolute_url()),
        "PRODUCT_NAME": settings.PRODUCT_NAME,
    }
    body = render_to_string(template, context)
    try:
        send_mail(
            email_subject(subject.format(title=project.title)), body, None, [project.user.email]
        )
    except Exception as error:
        VideoProject.objects.filter(pk=project_id, emailed_run=run).update(emailed_run=before)
        logger.warning(
            "Email %r of project %s run %s not sent: %r", outcome, project_id, run, error
        )
        raise
    return True
