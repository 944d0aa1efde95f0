"""``alert_safety``: immediate, fixed safety instructions for an emergency."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

import prompts
from graph.state import State


def alert_safety(state: State) -> dict[str, Any]:
    """Send the written safety instructions for the emergency; no model involved."""
    triage = state.get("triage")
    kind = (triage["emergency"] if triage else None) or "injury"
    text = prompts.SAFETY_INSTRUCTIONS.get(kind, prompts.SAFETY_INSTRUCTIONS["injury"])
    return {"messages": [AIMessage(content=text, additional_kwargs={"safety": kind})]}
