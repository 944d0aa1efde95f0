"""Fixtures that start real components: Redis, a seeded SQLite store, the server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.embedded_redis import EmbeddedRedis, free_port
from store.backend import SqlStoreBackend
from store.seed import seed

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def seeded_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store seeded once for the session (tests must not change it)."""
    path = tmp_path_factory.mktemp("store") / "store.db"
    url = f"sqlite:///{path}"
    seed(SqlStoreBackend.from_url(url).engine)
    return url


@pytest.fixture(scope="session")
def backend(seeded_db_url: str) -> SqlStoreBackend:
    return SqlStoreBackend.from_url(seeded_db_url)


@pytest.fixture
def fresh_db_url(seeded_db_url: str, tmp_path: Path) -> str:
    """A private copy of the seeded store, for tests that change data."""
    copy = tmp_path / "store.db"
    shutil.copy(seeded_db_url.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def fresh_backend(fresh_db_url: str) -> SqlStoreBackend:
    return SqlStoreBackend.from_url(fresh_db_url)


@pytest.fixture(scope="session")
def recommender(backend: SqlStoreBackend):
    """The catalogue indexed with the real MiniLM embeddings, once per session."""
    from store.catalog import ProductIndex
    from store.embeddings import Embedder

    return ProductIndex(backend, Embedder())


@pytest.fixture(scope="session")
def trained_triage_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The triage model trained once per session on the bundled training split."""
    from triage import BUNDLED, train
    from triage.data import load_jsonl

    out = tmp_path_factory.mktemp("triage-model")
    train(load_jsonl(BUNDLED["intents_train"]), load_jsonl(BUNDLED["emergency_train"]), out)
    return out


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An embedded Redis 8 with JSON + Search on 127.0.0.1, not persisted."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False)
    yield server.start()
    server.stop()


def wait_for_http(url: str, timeout: float = 60.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


class ServerProcess:
    """The test server (fake model, real Redis) in a child process on 127.0.0.1."""

    def __init__(
        self,
        redis_url: str,
        db_url: str,
        log_dir: Path,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.args = args
        self.env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "DATABASE_URL": db_url,
            "DATA_DIR": str(log_dir / "data"),
            # Every test server talks from 127.0.0.1 to one shared Redis: the per-client
            # limit would count the whole suite (test_limits sets its own).
            "RATE_LIMIT_PER_CLIENT": "100000",
            "RATE_LIMIT_PER_THREAD": "1000",
            **(env or {}),
        }
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.starts += 1
        log = (self.log_dir / f"server-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.fake_server",
                "--port",
                str(self.port),
                *self.args,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_http(f"{self.url}/readyz", process=self.process)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def restart(self) -> None:
        self.stop()
        with socket.socket() as sock:  # no one may listen on the port any more
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            sock.bind(("127.0.0.1", self.port))
        self.start()


@pytest.fixture
def server_process(redis_url: str, seeded_db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(redis_url, seeded_db_url, tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def acting_server(redis_url: str, fresh_db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """The test server over a private store, with a model that fills forced tool calls."""
    server = ServerProcess(redis_url, fresh_db_url, tmp_path, ("--model", "filling"))
    server.start()
    yield server
    server.stop()


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, headless (`make browser` installs it).

    Module-scoped: sync Playwright keeps an event loop running in this thread, which
    the asyncio tests that follow must not inherit.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make browser`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A phone-sized page that fails the test on any JavaScript error."""
    context = chromium.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


AGENTS = {f"key-agent-{n:02d}": f"Agent{n:02d}" for n in range(1, 21)}
ADMIN_KEY = "key-admin-01"


@pytest.fixture
def agent_server(redis_url: str, fresh_db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """The test server with 20 agents and an admin in AGENT_KEYS."""
    keys = [f"{key}:{name}:agent" for key, name in AGENTS.items()] + [f"{ADMIN_KEY}:Ada:admin"]
    server = ServerProcess(redis_url, fresh_db_url, tmp_path, env={"AGENT_KEYS": ",".join(keys)})
    server.start()
    yield server
    server.stop()


def open_thread(base: str, **body: Any) -> tuple[str, httpx.Client]:
    """Create a thread on a running server; the client carries its token."""
    created = httpx.post(f"{base}/v1/threads", json=body, timeout=30)
    assert created.status_code == 201, created.text
    data = created.json()
    client = httpx.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {data['thread_token']}"},
        timeout=30,
    )
    return data["thread_id"], client


@pytest.fixture
def slow_server(redis_url: str, fresh_db_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """The test server with a model that streams about 60 words at 0.15 s a word."""
    server = ServerProcess(redis_url, fresh_db_url, tmp_path, ("--model", "slow"))
    server.start()
    yield server
    server.stop()
