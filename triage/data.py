"""Labelled examples in JSONL: ``{"text": "...", "label": "..."}`` per line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

OOS = "oos"
"""The out-of-scope label of the intent data."""
NO_EMERGENCY = "none"
"""The negative label of the emergency data."""


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    label: str


def load_jsonl(path: Path) -> list[Example]:
    """Read a dataset, failing with the line number on a bad line."""
    examples = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                examples.append(Example(text=str(row["text"]), label=str(row["label"])))
            except (json.JSONDecodeError, KeyError) as exc:
                raise ValueError(f"{path}:{number}: expected {{'text', 'label'}}: {exc}") from exc
    if not examples:
        raise ValueError(f"{path} holds no examples")
    return examples
