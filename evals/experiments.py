"""The eval suites as LangSmith datasets and experiments (when ``LANGSMITH_API_KEY`` is set).

Each suite's JSONL file becomes the dataset ``supportgraph-<suite>``. Uploading is
idempotent: an example's id is derived from its content, so a second upload of an
unchanged file sends nothing, an edited line replaces its old example, and a removed
line is deleted. The suite then runs as an experiment through the SDK's
``aevaluate``: the target plays each example through the graph (traced, so every
run has its model calls under it) and one evaluator per suite returns the scores of
``evals.evaluators`` for it. Model, prompts and git revision go in the experiment's
metadata.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from langsmith import Client, aevaluate

DATASET_PREFIX = "supportgraph-"
_EXAMPLE_IDS = uuid.UUID("0f4b3c1e-7d2a-4e55-9b61-5a8c2d9e3f10")
"""Namespace of example ids: the same line of the same suite always has the same id."""

INPUT_KEYS = {
    "routing": ("text",),
    "conversations": ("id", "specialist", "customer_id", "turns"),
    "safety": ("id", "category", "customer_id", "turns"),
    "retrieval": ("question",),
}
"""What the target is given; the rest of a line is the reference (expected) output."""


def split(suite: str, row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dataset line as LangSmith ``inputs`` and ``outputs`` (the reference)."""
    keys = INPUT_KEYS[suite]
    inputs = {k: row[k] for k in keys if k in row}
    outputs = {k: v for k, v in row.items() if k not in keys}
    return inputs, outputs


def example_id(suite: str, row: dict[str, Any]) -> uuid.UUID:
    """The id of a line's example: a hash of the suite and the line's content."""
    content = json.dumps(row, sort_keys=True, ensure_ascii=False)
    return uuid.uuid5(_EXAMPLE_IDS, f"{suite}\n{content}")


def upload(client: Client, suite: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Make the dataset ``supportgraph-<suite>`` hold exactly ``rows``.

    Returns ``{"dataset", "dataset_id", "created", "deleted", "kept"}``.
    """
    name = DATASET_PREFIX + suite
    if client.has_dataset(dataset_name=name):
        dataset = client.read_dataset(dataset_name=name)
    else:
        dataset = client.create_dataset(
            name,
            description=f"SupportGraph eval suite '{suite}' (evals/datasets/{suite}.jsonl)",
            metadata={"suite": suite, "source": f"evals/datasets/{suite}.jsonl"},
        )
    wanted = {str(example_id(suite, row)): row for row in rows}
    present = {str(e.id) for e in client.list_examples(dataset_id=dataset.id)}
    new = []
    for id_, row in wanted.items():
        if id_ in present:
            continue
        inputs, outputs = split(suite, row)
        new.append(
            {
                "id": id_,
                "inputs": inputs,
                "reference_outputs": outputs,
                "metadata": {"suite": suite},
            }
        )
    stale = sorted(present - set(wanted))
    if new:
        client.create_examples(dataset_id=dataset.id, examples=new)
    if stale:
        client.delete_examples(stale)
    return {
        "dataset": name,
        "dataset_id": str(dataset.id),
        "created": len(new),
        "deleted": len(stale),
        "kept": len(wanted) - len(new),
    }


def scorer(
    suite: str,
    score: Callable[[dict[str, Any], dict[str, Any]], list[dict[str, Any]]],
    seen: dict[str, dict[str, Any]] | None = None,
) -> Callable[..., dict[str, Any]]:
    """One LangSmith evaluator returning every score of ``evals.evaluators`` for a run.

    ``score(run_outputs, example_row)`` gives the list of ``{"key", "score"}``;
    ``seen`` collects each run's outputs by example id.
    """

    def supportgraph(
        inputs: dict[str, Any], outputs: dict[str, Any], reference_outputs: dict[str, Any]
    ) -> dict[str, Any]:
        row = {**inputs, **reference_outputs}
        if seen is not None:
            seen[str(example_id(suite, row))] = outputs
        results = score(outputs, row)
        return {"results": results or [{"key": f"{suite}_scored", "score": 0.0}]}

    supportgraph.__name__ = f"supportgraph_{suite}"
    return supportgraph


def prompt_metadata(prompts: dict[str, str], overridden: list[str]) -> dict[str, Any]:
    """The prompts an experiment ran with: each one's sha256 prefix, and which were overridden."""
    return {
        "prompts": {k: hashlib.sha256(v.encode()).hexdigest()[:12] for k, v in prompts.items()},
        "prompt_overrides": sorted(overridden),
    }


async def run_experiment(
    client: Client,
    suite: str,
    rows: list[dict[str, Any]],
    target: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    score: Callable[[dict[str, Any], dict[str, Any]], list[dict[str, Any]]],
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """Upload the suite and run it as an experiment.

    ``target(inputs)`` plays one example; ``score(outputs, row)`` scores it. Returns
    the upload counts, the experiment's name and every example's outputs in the
    order of ``rows`` (so the local report is computed from the same runs).
    """
    uploaded = upload(client, suite, rows)
    seen: dict[str, dict[str, Any]] = {}
    results = await aevaluate(
        target,
        data=uploaded["dataset"],
        evaluators=[scorer(suite, score, seen)],
        experiment_prefix=f"{DATASET_PREFIX}{suite}-{metadata.get('model', 'model')}",
        description=f"supportgraph eval --suite {suite}",
        metadata={**metadata, "suite": suite},
        max_concurrency=1,
        client=client,
    )
    async for _ in results:  # wait for every example and its scores
        pass
    missing = [row for row in rows if str(example_id(suite, row)) not in seen]
    if missing:
        raise RuntimeError(f"{len(missing)} examples of {suite} got no result from LangSmith")
    return {
        **uploaded,
        "experiment": results.experiment_name,
        "outputs": [seen[str(example_id(suite, row))] for row in rows],
    }
