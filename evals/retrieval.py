"""Retrieval evaluation: recall@k and MRR on customer questions, declines on unanswerable ones.

Dataset lines: ``{"question", "gold": [article ids], "answerable": bool}``. A question
counts as declined when no passage reaches ``min_score`` (what the retrieve node does).
``retrieval.jsonl`` is the held-out set the figures are reported on; ``retrieval_dev.jsonl``
holds other questions, written separately, for choosing weights and the threshold.

    python -m evals.retrieval [--data evals/datasets/retrieval.jsonl] [--min-score 0.39]
    python -m evals.retrieval --data evals/datasets/retrieval_dev.jsonl --sweep 0.3 0.5
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DATASET = Path(__file__).resolve().parent / "datasets" / "retrieval.jsonl"
DEV_DATASET = DATASET.with_name("retrieval_dev.jsonl")


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


class _Memo:
    """Searches each question once, so a threshold sweep costs one pass."""

    def __init__(self, kb: Any) -> None:
        self.kb = kb
        self.hits: dict[tuple[str, int], Any] = {}

    def search(self, query: str, k: int = 4) -> Any:
        if (query, k) not in self.hits:
            self.hits[query, k] = self.kb.search(query, k=k)
        return self.hits[query, k]


def sweep(
    kb: Any, rows: list[dict[str, Any]], low: float, high: float, step: float = 0.01
) -> list[dict[str, Any]]:
    """Figures at every threshold from ``low`` to ``high``: the trade-off to choose from."""
    memo = _Memo(kb)
    steps = round((high - low) / step)
    return [evaluate(memo, rows, round(low + i * step, 4)) for i in range(steps + 1)]


def main(argv: list[str] | None = None) -> int:
    """Print the retrieval figures of the configured knowledge base as JSON."""
    from graph.context import Context
    from server.settings import get_settings
    from store.knowledge import KnowledgeBase

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATASET)
    parser.add_argument("--min-score", type=float, default=Context().retrieval_min_score)
    parser.add_argument(
        "--sweep", type=float, nargs=2, metavar=("LOW", "HIGH"), help="one line per threshold"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    kb = KnowledgeBase.open(path=settings.qdrant_path, url=settings.qdrant_url)
    try:
        kb.ingest(settings.helpcentre_dir)
        rows = load(args.data)
        if args.sweep:
            for figures in sweep(kb, rows, *args.sweep):
                print(json.dumps(figures))
        else:
            print(json.dumps(evaluate(kb, rows, args.min_score)))
    finally:
        kb.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
