"""The real app with a fake model, for tests that restart the server process.

Run as ``python -m tests.integration.fake_server --port N [--model filling]`` with ``REDIS_URL``
and ``DATABASE_URL`` set; it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse

import uvicorn

from graph.llm.fake import FactEchoModel
from server.app import create_app
from server.settings import Settings
from store.backend import SqlStoreBackend
from tests.fakes import (
    FakeTriage,
    HistoryCountingModel,
    SlowModel,
    StaticRetriever,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--model",
        choices=["history", "filling", "slow"],
        default="history",
        help="history: reports what it saw; filling: fills forced tool calls like a weak "
        "model; slow: history plus 40 words at 0.15 s a word",
    )
    args = parser.parse_args()
    model = {
        "history": HistoryCountingModel,
        "filling": FactEchoModel,
        "slow": SlowModel,
    }[args.model]()
    settings = Settings(port=args.port)
    assert settings.redis_url and settings.database_url, "REDIS_URL and DATABASE_URL must be set"
    app = create_app(
        settings,
        model=model,
        retriever=StaticRetriever(),
        backend=SqlStoreBackend.from_url(settings.database_url),
        triager=FakeTriage(),
    )
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
