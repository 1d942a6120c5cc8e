"""The embedded default's own Redis, started by a process that needs it when `make run` is not
running: the `make_video` command, and the test suite. `make run` starts the same server under
supervisord, with the command of `supervisord.conf`'s `[program:redis]`, used here too."""

import configparser
import ctypes
import shlex
import signal
import subprocess
import time
from pathlib import Path

import redis


def die_with_parent() -> None:
    """In a child, before exec: the kernel sends it SIGTERM when its parent dies, however it
    dies (a killed command or test run leaves no Redis behind)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class EmbeddedRedis:
    """The embedded default's private redis-server, started as `make run` starts it (the command
    of project_core/supervisord.conf) on the socket the settings name."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process = None

    def command(self) -> list[str]:
        config = configparser.RawConfigParser()
        config.read(Path(__file__).resolve().parent / "supervisord.conf")
        command = config.get("program:redis", "command")
        return shlex.split(command.replace("%(ENV_REDIS_DIR)s", str(self.directory)))

    def start(self, timeout_s: float = 20) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / "redis.log").open("a") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
            )
        client = redis.Redis(unix_socket_path=str(self.socket))
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "redis-server did not start:\n" + (self.directory / "redis.log").read_text()
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()  # Redis writes its append-only file and removes its socket
        self.process.wait(timeout=20)

    def kill(self) -> None:
        """Die at once, as a crash would: what reached the append-only file survives (Redis
        writes it at least every second)."""
        self.process.kill()
        self.process.wait()


def redis_answers(socket: Path) -> bool:
    try:
        return bool(redis.Redis(unix_socket_path=str(socket), socket_timeout=2).ping())
    except redis.RedisError:
        return False
