"""Retrieval evaluation: recall@k and MRR on customer questions, declines on unanswerable ones.

Dataset lines: ``{"question", "gold": [article ids], "answerable": bool}``. A question
counts as declined when no passage reaches ``min_score`` (what the retrieve node does).

    python -m evals.retrieval [--data evals/datasets/retrieval.jsonl] [--min-score 0.35]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DATASET = Path(__file__).resolve().parent / "datasets" / "retrieval.jsonl"


def load(path: Path = DATASET) -> list[dict[str, Any]]:
    """Read the dataset."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluate(kb: Any, rows: list[dict[str, Any]], min_score: float) -> dict[str, Any]:
    """Score a knowledge base (anything with ``search(query, k)``) on the rows."""
    recall3, recall1, reciprocal, answered, declined = [], [], [], [], []
    for row in rows:
        hits = kb.search(row["question"], k=10)
        kept = [h for h in hits if h["score"] >= min_score]
        ranked: list[str] = []
        for hit in kept:  # rank articles, not chunks
            if hit["article_id"] not in ranked:
                ranked.append(hit["article_id"])
        if row["answerable"]:
            gold = set(row["gold"])
            recall1.append(float(bool(gold & set(ranked[:1]))))
            recall3.append(float(bool(gold & set(ranked[:3]))))
            rank = next((i for i, a in enumerate(ranked[:10], start=1) if a in gold), None)
            reciprocal.append(1.0 / rank if rank else 0.0)
            answered.append(float(bool(ranked)))
        else:
            declined.append(float(not ranked))
    mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else None  # noqa: E731
    return {
        "answerable": len(recall3),
        "unanswerable": len(declined),
        "min_score": min_score,
        "recall@1": mean(recall1),
        "recall@3": mean(recall3),
        "mrr@10": mean(reciprocal),
        "answerable_not_declined": mean(answered),
        "unanswerable_declined": mean(declined),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the retrieval figures of the configured knowledge base as JSON."""
    from graph.context import Context
    from server.settings import get_settings
    from store.knowledge import KnowledgeBase

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATASET)
    parser.add_argument("--min-score", type=float, default=Context().retrieval_min_score)
    args = parser.parse_args(argv)
    settings = get_settings()
    kb = KnowledgeBase.open(path=settings.qdrant_path, url=settings.qdrant_url)
    try:
        kb.ingest(settings.helpcentre_dir)
        print(json.dumps(evaluate(kb, load(args.data), args.min_score)))
    finally:
        kb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
