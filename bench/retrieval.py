"""Retrieval speed with 10,000 chunks in a local Qdrant collection.

Ingests the bundled help centre into a temporary local-mode collection, tops it
up to 10,000 chunks with synthetic filler (sentences of the articles recombined,
really embedded), and prints ingestion throughput (chunks/s, embedding included)
and the p50/p95 of a whole query (embed the question + search), one at a time.

    python bench/retrieval.py [--chunks 10000]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qdrant_client import models  # noqa: E402

from store.knowledge import KnowledgeBase, load_articles  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase.open(path=Path(tmp) / "qdrant")
        try:
            run(kb, args.chunks)
        finally:
            kb.close()


def run(kb: KnowledgeBase, total: int) -> None:
    started = time.perf_counter()
    stats = kb.ingest(HELPCENTRE)
    print(f"help centre: {stats['chunks']} chunks in {time.perf_counter() - started:.1f} s")

    rng = random.Random(3)
    sentences = [
        s.strip()
        for a in load_articles(HELPCENTRE)
        for s in re.split(r"(?<=[.!?])\s+", a["body"])
        if len(s.split()) > 4
    ]
    filler = [" ".join(rng.sample(sentences, 4)) for _ in range(total - stats["chunks"])]
    started = time.perf_counter()
    for start in range(0, len(filler), 256):
        batch = filler[start : start + 256]
        vectors = kb.embedder.embed(batch)
        kb.client.upsert(
            kb.collection,
            points=[
                models.PointStruct(
                    id=str(uuid.UUID(int=rng.getrandbits(128))),
                    vector=v,
                    payload={"article_id": "filler", "title": "filler", "category": "filler",
                             "language": "en", "text": t},
                )
                for t, v in zip(batch, vectors, strict=True)
            ],
        )  # fmt: skip
    elapsed = time.perf_counter() - started
    print(
        f"ingestion: {len(filler)} filler chunks embedded and upserted in {elapsed:.1f} s "
        f"({len(filler) / elapsed:.0f} chunks/s); collection now {kb.count()} chunks"
    )
    for question in QUESTIONS:  # warm-up
        kb.search(question, k=4)
    latencies = []
    for _ in range(25):
        for question in QUESTIONS:
            start = time.perf_counter()
            kb.search(question, k=4)
            latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    p50, p95 = latencies[len(latencies) // 2], latencies[round(0.95 * (len(latencies) - 1))]
    print(
        f"query (embed + search, k=4) over {len(latencies)} queries: p50 {p50:.1f} ms  "
        f"p95 {p95:.1f} ms  max {latencies[-1]:.1f} ms (target p95 <= 30 ms)"
    )


if __name__ == "__main__":
    main()
