"""A LangSmith API stand-in on 127.0.0.1: keeps datasets, examples, experiments and feedback.

It answers what the ``langsmith`` SDK asks for in these tests (datasets and examples,
experiments (sessions), runs, feedback) from memory, and records every request so a
test can check the shapes the SDK sent.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from server.embedded_redis import free_port

TENANT_ID = "0b7f6e5d-4c3b-4a29-8817-161514131211"


def _now() -> str:
    return datetime.now(UTC).isoformat()


class StandIn:
    """Answers every request and records it (``requests``)."""

    PROJECT_ID = "4d1c7d2e-8f5a-4b6e-9c3d-2a1b0c9d8e7f"
    TENANT_ID = TENANT_ID

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.datasets: dict[str, dict[str, Any]] = {}
        self.examples: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {
            self.PROJECT_ID: self._session({"id": self.PROJECT_ID, "name": "supportgraph-test"})
        }
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None  # multipart, or compressed
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                with stand_in.lock:
                    stand_in.requests.append(
                        {
                            "method": self.command,
                            "path": url.path,
                            "query": query,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "raw": raw,
                            "json": body,
                        }
                    )
                    status, answer = stand_in.answer(self.command, url.path, query, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # -- the API ---------------------------------------------------------------

    def _session(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": body.get("id") or str(uuid.uuid4()),
            "name": body.get("name") or "experiment",
            "tenant_id": TENANT_ID,
            "reference_dataset_id": body.get("reference_dataset_id"),
            "start_time": body.get("start_time") or _now(),
            "extra": body.get("extra") or {},
            "description": body.get("description"),
        }

    def _example(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": body.get("id") or str(uuid.uuid4()),
            "dataset_id": body["dataset_id"],
            "inputs": body.get("inputs") or {},
            "outputs": body.get("outputs"),
            "metadata": body.get("metadata"),
            "created_at": _now(),
            "modified_at": _now(),
        }

    def answer(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        """The response to one request."""
        parts = [p for p in path.split("/") if p]
        if path.endswith("/info"):
            return 200, {"version": "0.10.0", "batch_ingest_config": {}, "instance_flags": {}}
        if parts[:1] == ["datasets"]:
            return self._datasets(method, parts, query, body)
        if parts[:1] == ["examples"]:
            return self._examples(method, parts, query, body)
        if parts[:1] == ["sessions"]:
            return self._sessions(method, parts, query, body)
        if method == "POST" and path.endswith("/feedback"):
            return 200, {**(body or {}), "id": (body or {}).get("id") or str(uuid.uuid4())}
        if method == "PATCH":
            return 200, {"id": parts[-1], **(body or {})}
        if parts[:1] == ["runs"]:
            return 202, {}
        return 200, {}

    def _datasets(
        self, method: str, parts: list[str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        if method == "POST" and len(parts) == 1:
            if any(d["name"] == body["name"] for d in self.datasets.values()):
                return 409, {"detail": "Dataset already exists"}
            dataset = {
                "id": str(uuid.uuid4()),
                "name": body["name"],
                "description": body.get("description"),
                "metadata": body.get("extra", {}).get("metadata") or body.get("metadata"),
                "data_type": body.get("data_type", "kv"),
                "created_at": _now(),
                "modified_at": _now(),
                "tenant_id": TENANT_ID,
                "example_count": 0,
            }
            self.datasets[dataset["id"]] = dataset
            return 200, dataset
        if method == "GET" and len(parts) == 1:
            names = query.get("name", [])
            ids = query.get("id", [])
            found = [
                d
                for d in self.datasets.values()
                if (not names or d["name"] in names) and (not ids or d["id"] in ids)
            ]
            return 200, found
        if method == "GET" and len(parts) >= 2 and parts[1] in self.datasets:
            if len(parts) == 2:
                return 200, self.datasets[parts[1]]
            if parts[2] == "versions":
                return 200, []
            if parts[2] == "version":
                return 200, {"as_of": _now(), "tags": []}
        return 404, {"detail": "Not found"}

    def _examples(
        self, method: str, parts: list[str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        if method == "POST" and parts[1:] == ["bulk"]:
            created = [self._example(item) for item in body]
            for example in created:
                self.examples[example["id"]] = example
            return 200, created
        if method == "GET" and len(parts) == 1:
            datasets = set(query.get("dataset", []))
            ids = set(query.get("id", []))
            found = [
                e
                for e in self.examples.values()
                if (not datasets or e["dataset_id"] in datasets) and (not ids or e["id"] in ids)
            ]
            offset = int(query.get("offset", ["0"])[0])
            limit = int(query.get("limit", ["100"])[0])
            return 200, found[offset : offset + limit]
        if method == "DELETE" and len(parts) == 1:
            for example_id in query.get("example_ids", []):
                self.examples.pop(example_id, None)
            return 200, {}
        return 404, {"detail": "Not found"}

    def _sessions(
        self, method: str, parts: list[str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        if method == "POST" and len(parts) == 1:
            session = self._session(body or {})
            self.sessions[session["id"]] = session
            return 200, session
        if method == "GET" and len(parts) == 1:
            names = query.get("name", [])
            return 200, [s for s in self.sessions.values() if not names or s["name"] in names]
        if len(parts) == 2 and parts[1] in self.sessions:
            if method == "PATCH":
                self.sessions[parts[1]].update(body or {})
            return 200, self.sessions[parts[1]]
        return 404, {"detail": "Not found"}

    # -- for tests --------------------------------------------------------------

    def seen(self, predicate: Any, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The requests matching ``predicate``, waiting up to ``timeout`` for one."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [r for r in self.requests if predicate(r)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
