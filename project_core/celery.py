"""The Celery application: configured from Django's CELERY_-prefixed settings.

Workers start with `celery -A project_core worker -Q light,render`. Task modules (`tasks.py`) are
found in every installed app.
"""

import os

from celery import Celery

from . import celery_steps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_core.settings.dev")

app = Celery("project_core")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Lost work comes back or fails within minutes (celery_steps.py).
app.steps["consumer"].update({celery_steps.KeepLeases, celery_steps.Watchdog})


@app.task(bind=True, ignore_result=False)
def debug_task(self):
    """Print and return what the worker saw of this request: proves a worker is listening."""
    print(f"Request: {self.request!r}")
    return {
        "id": self.request.id,
        "hostname": self.request.hostname,
        "queue": (self.request.delivery_info or {}).get("routing_key"),
        "pid": os.getpid(),
    }
