"""The simulated user of `make loadtest`, for locust (run by tests/loadtest.py, never imported by
it: locust patches the standard library with gevent when it loads this file).

Each user takes one signed-in browser session prepared beforehand (LOADTEST_SESSIONS, a JSON
list) and goes round its project's pages as a creator does, with a pause between them: the
dashboard, the storyboard, the result page and the API's status call (a script's call, with the
account's token and no cookie). Every answer must be a 200 that shows the user's own project.
"""

import itertools
import json
import os
from pathlib import Path

from locust import FastHttpUser, SequentialTaskSet, between, task

SESSIONS = json.loads(Path(os.environ["LOADTEST_SESSIONS"]).read_text())
THINK_MIN_S, THINK_MAX_S = (float(value) for value in os.environ["LOADTEST_THINK_S"].split(","))
# The TLS-terminating proxy's header: without it production settings redirect to https.
PROXY = {"X-Forwarded-Proto": "https"}
_next_session = itertools.count()


class ProjectRound(SequentialTaskSet):
    def on_start(self):
        session = SESSIONS[next(_next_session) % len(SESSIONS)]
        self.project_id = session["project_id"]
        self.title = session["title"]
        self.browser = {**PROXY, "Cookie": f"sessionid={session['sessionid']}"}
        self.script = {**PROXY, "Authorization": f"Token {session['token']}"}

    def page(self, name: str, path: str, headers: dict, expected: str) -> None:
        with self.client.get(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif expected not in response.text:
                response.failure(f"no {expected!r} in the answer")

    @task
    def dashboard(self):
        self.page("dashboard", "/dashboard/", self.browser, self.title)

    @task
    def storyboard(self):
        path = f"/projects/{self.project_id}/storyboard/"
        self.page("storyboard", path, self.browser, self.title)

    @task
    def result(self):
        self.page("result", f"/projects/{self.project_id}/", self.browser, self.title)

    @task
    def api_status(self):
        path = f"/api/v1/projects/{self.project_id}/status/"
        self.page("api_status", path, self.script, '"status"')


class Creator(FastHttpUser):
    tasks = [ProjectRound]
    wait_time = between(THINK_MIN_S, THINK_MAX_S)
