"""Per-run settings, passed as ``context=Context(...)``; prompts are defaults here."""

from __future__ import annotations

from dataclasses import dataclass, field

import prompts


@dataclass(kw_only=True)
class Context:
    """Per-run configuration of the support graph."""

    customer_id: str | None = field(
        default=None,
        metadata={
            "description": "Verified customer id from the session; None while anonymous. "
            "Tools read it from here, never from model arguments."
        },
    )
    system_prompt: str = field(
        default=prompts.SYSTEM_PROMPT,
        metadata={"description": "Persona and rules; placeholders {today}, {language_name}."},
    )
    respond_prompt: str = field(
        default=prompts.RESPOND_PROMPT,
        metadata={
            "description": "Prompt of the respond node; placeholders {system_prompt}, "
            "{intent}, {notes}, {facts}."
        },
    )
    retrieval_k: int = field(
        default=4, metadata={"description": "How many help-centre passages to retrieve."}
    )
    retrieval_min_score: float = field(
        default=0.39,
        metadata={
            "description": "Relevance (cosine blended with keyword coverage, see "
            "store/knowledge.py) under which a passage is ignored; with none left, the help "
            "centre has no answer. Calibrated on evals/datasets/retrieval_dev.jsonl."
        },
    )
    handoff_refund_above: float = field(
        default=1000.0,
        metadata={"description": "A return whose refund is above this (USD) goes to a person."},
    )
    history_turns: int = field(
        default=6,
        metadata={"description": "How many earlier messages the model sees when replying."},
    )
