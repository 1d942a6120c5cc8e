"""pytest-timeout's per-test limit, less shared set-ups (registered by tests/conftest.py).

A fixture shared beyond one test (the session's test databases, a Celery worker, a browser, a
module's `make run`) is set up inside whichever test needs it first, and pytest-timeout counts that
set-up against the test. On a busy machine the set-up alone could use up the limit and fail a test
that did nothing wrong. Here each shared fixture is set up under a limit of its own, of the same
length, and the test's clock starts again afterwards: a test that hangs still fails, and so does a
set-up that hangs.
"""

import pytest

# The running limit: (test, pytest-timeout's settings for it), while its timer is set.
RUNNING_TIMER = pytest.StashKey[tuple]()


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item, settings):
    # Only notes the timer: returns None, so pytest-timeout's own hook goes on to set it.
    item.config.stash[RUNNING_TIMER] = (item, settings)


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_cancel_timer(item):
    if RUNNING_TIMER in item.config.stash:
        del item.config.stash[RUNNING_TIMER]


def restart_timer(item, settings) -> None:
    hooks = item.config.hook
    hooks.pytest_timeout_cancel_timer(item=item)
    hooks.pytest_timeout_set_timer(item=item, settings=settings)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    running = request.config.stash.get(RUNNING_TIMER, None)
    if fixturedef.scope == "function" or running is None:
        return (yield)
    restart_timer(*running)  # the set-up's own limit
    try:
        return (yield)
    finally:
        restart_timer(*running)  # the test's, from now
