"""Turn latency and time to first token through the HTTP app, with an instant fake model.

Starts an embedded Redis and the real server (fake model, seeded SQLite) on
127.0.0.1, then sends TURNS messages over THREADS conversations one after the
other and prints p50/p95 of the whole turn and of the first token, in ms.
What it measures is the service's own overhead: triage, graph, Redis
checkpoints, SSE; not the model.

    python bench/turn_latency.py [--turns 200] [--threads 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.embedded_redis import EmbeddedRedis  # noqa: E402
from store.backend import SqlStoreBackend  # noqa: E402
from store.seed import seed  # noqa: E402
from tests.conftest import ServerProcess  # noqa: E402

# Greetings and thanks: in scope for the fake triage, so no thread is handed to a
# person (two out-of-scope messages in a row would be).
MESSAGES = [
    "hello there",
    "thanks a lot!",
    "hello again, just saying hi",
    "thanks, that helps",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis", persist=False)
        redis_url = redis.start()
        db_url = f"sqlite:///{tmp}/store.db"
        seed(SqlStoreBackend.from_url(db_url).engine)
        server = ServerProcess(redis_url, db_url, Path(tmp))
        try:
            server.start()
            totals, firsts = run(server.url, args.turns, args.threads)
        finally:
            server.stop()
            redis.stop()

    print(f"turns: {len(totals)} over {args.threads} threads (fake instant model, embedded Redis)")
    for name, values in (("turn latency", totals), ("time to first token", firsts)):
        p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
        print(
            f"{name:>20}: p50 {p50:7.1f} ms   p95 {p95:7.1f} ms"
            f"   mean {statistics.fmean(values):7.1f} ms   max {max(values):7.1f} ms"
        )


def run(base: str, turns: int, threads: int) -> tuple[list[float], list[float]]:
    totals: list[float] = []
    firsts: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        created = [client.post("/v1/threads", json={}).json() for _ in range(threads)]
        ids = [c["thread_id"] for c in created]
        auth = {c["thread_id"]: {"Authorization": f"Bearer {c['thread_token']}"} for c in created}
        client.post(
            f"/v1/threads/{ids[0]}/messages", json={"content": "warm-up"}, headers=auth[ids[0]]
        ).read()
        for turn in range(turns):
            thread_id = ids[turn % threads]
            body = {"content": MESSAGES[turn % len(MESSAGES)]}
            start = time.perf_counter()
            first = None
            with client.stream(
                "POST", f"/v1/threads/{thread_id}/messages", json=body, headers=auth[thread_id]
            ) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    if first is None and line == "event: token":
                        first = time.perf_counter()
                    if line == "event: done":
                        break
            end = time.perf_counter()
            totals.append((end - start) * 1000)
            firsts.append(((first or end) - start) * 1000)
    return totals, firsts


if __name__ == "__main__":
    main()
