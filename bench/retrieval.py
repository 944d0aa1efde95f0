"""Retrieval speed with 10,000 chunks in a local Qdrant collection.

Ingests the bundled help centre into a temporary local-mode collection, tops it
up to 10,000 points with synthetic filler (sentences of the articles recombined,
really embedded), and prints ingestion throughput (chunks/s, embedding included)
and the p50/p95 of a whole query (embed the question + search), one at a time,
then where a query's time goes: embedding, the in-process search with and without
a payload filter, and for comparison Qdrant local mode's own search (the path
queries took before).

    python bench/retrieval.py [--chunks 10000] [--threads 1] [--batch-threads N]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qdrant_client import models  # noqa: E402

from store.embeddings import Embedder  # noqa: E402
from store.knowledge import Chunk, KnowledgeBase, load_articles  # noqa: E402

HELPCENTRE = Path(__file__).resolve().parents[1] / "data" / "helpcentre"
QUESTIONS = [
    "how long do I have to return a dishwasher",
    "my fridge arrived dented what do I do",
    "can I pay in monthly installments",
    "I smell gas what should I do",
    "how do I reschedule my installation",
    "is the warranty two years",
    "how do I clean the dryer lint filter",
    "when will my card be charged",
]
ROUNDS = 25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads for a question")
    parser.add_argument("--batch-threads", type=int, help="torch threads for ingestion batches")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase.open(path=Path(tmp) / "qdrant")
        kb.embedder = Embedder(threads=args.threads, batch_threads=args.batch_threads)
        try:
            run(kb, args.chunks)
        finally:
            kb.close()


def percentiles(f: Callable[[str], object]) -> tuple[float, float, float]:
    """p50, p95 and max in ms of ``f`` over every question, ``ROUNDS`` times."""
    for question in QUESTIONS:  # warm-up
        f(question)
    latencies = []
    for _ in range(ROUNDS):
        for question in QUESTIONS:
            start = time.perf_counter()
            f(question)
            latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    p95 = latencies[round(0.95 * (len(latencies) - 1))]
    return latencies[len(latencies) // 2], p95, latencies[-1]


def run(kb: KnowledgeBase, total: int) -> None:
    started = time.perf_counter()
    stats = kb.ingest(HELPCENTRE)
    print(
        f"help centre: {stats['chunks']} points (chunks and customer phrasings) in "
        f"{time.perf_counter() - started:.1f} s"
    )

    rng = random.Random(3)
    sentences = [
        s.strip()
        for a in load_articles(HELPCENTRE)
        for s in re.split(r"(?<=[.!?])\s+", a["body"])
        if len(s.split()) > 4
    ]
    filler = [
        Chunk(id=str(uuid.UUID(int=rng.getrandbits(128))), article_id="filler", title="filler",
              category="filler", language="en", text=" ".join(rng.sample(sentences, 4)))
        for _ in range(total - stats["chunks"])
    ]  # fmt: skip
    started = time.perf_counter()
    kb.upsert(filler)
    elapsed = time.perf_counter() - started
    print(
        f"ingestion: {len(filler)} filler chunks embedded and upserted in {elapsed:.1f} s "
        f"({len(filler) / elapsed:.0f} chunks/s, {kb.embedder.batch_threads} threads); "
        f"collection now {kb.count()} points"
    )
    started = time.perf_counter()
    index = kb._current_index()
    print(f"search index loaded from Qdrant in {time.perf_counter() - started:.2f} s")

    p50, p95, worst = percentiles(lambda q: kb.search(q, k=4))
    print(
        f"query (embed + search, k=4) over {ROUNDS * len(QUESTIONS)} queries: p50 {p50:.1f} ms  "
        f"p95 {p95:.1f} ms  max {worst:.1f} ms ({kb.embedder.threads} thread(s); "
        "target p95 <= 30 ms)"
    )

    vectors = {q: kb.embedder.embed_query(q) for q in QUESTIONS}
    payment = models.Filter(
        must=[models.FieldCondition(key="category", match=models.MatchValue(value="payment"))]
    )
    parts: list[tuple[str, Callable[[str], object]]] = [
        ("embed the question", kb.embedder.embed_query),
        ("in-process search", lambda q: index.search(q, vectors[q], 4)),
        (
            "in-process search, category filter",
            lambda q: index.search(q, vectors[q], 4, category="payment"),
        ),
        (
            "qdrant local query_points (before)",
            lambda q: kb.client.query_points(kb.collection, query=vectors[q], limit=4),
        ),
        (
            "qdrant local query_points, category filter (before)",
            lambda q: kb.client.query_points(
                kb.collection, query=vectors[q], limit=4, query_filter=payment
            ),
        ),
    ]
    for name, f in parts:
        p50, p95, _ = percentiles(f)
        print(f"  {name}: p50 {p50:.1f} ms  p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
