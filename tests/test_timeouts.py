"""The per-test timeout (tests/timeouts.py), in a pytest run of its own with real pytest-timeout."""

import os
import re
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import BASE_DIR

# With a 5 s limit: a session set-up and a test that each keep within it but not together, then
# a test and a set-up that hang. Sleeping, not computing: a busy machine barely changes the times.
INNER_TESTS = """
    import time

    import pytest

    @pytest.fixture(scope="session")
    def slow_database():
        time.sleep(3.5)

    @pytest.fixture(scope="session")
    def worker_that_never_starts():
        time.sleep(120)

    def test_after_a_slow_session_setup(slow_database):
        time.sleep(3)

    def test_that_hangs(slow_database):
        time.sleep(120)

    def test_needing_a_worker_that_never_starts(worker_that_never_starts):
        pass
"""


def run_pytest(tmp_path, *options: str) -> dict[str, str]:
    """Each inner test's outcome, in a fresh pytest with a 5 s timeout and `options`."""
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:django", "-p", "no:cacheprovider"]
    completed = subprocess.run(
        [*command, "--timeout", "5", *options, "test_inner.py"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(BASE_DIR)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    return dict(re.findall(r"^test_inner\.py::(\w+) (PASSED|FAILED|ERROR)", completed.stdout, re.M))


@pytest.mark.slow  # a pytest run of its own, with tests that wait for their time limit
def test_it_leaves_session_setup_out_of_the_test_timeout_and_still_fails_what_hangs(tmp_path):
    assert run_pytest(tmp_path, "-p", "tests.timeouts") == {
        "test_after_a_slow_session_setup": "PASSED",
        "test_that_hangs": "FAILED",
        "test_needing_a_worker_that_never_starts": "ERROR",
    }
