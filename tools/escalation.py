"""The model's own way to ask for a person."""

from __future__ import annotations

from langchain_core.tools import BaseTool, tool

from tools._common import result


def build_escalation_tool() -> BaseTool:
    """Return ``escalate_to_human``, shared by every specialist."""

    @tool
    async def escalate_to_human(reason: str) -> str:
        """Hand the conversation to a person from the team.

        Use it when the customer needs something your tools can't do, when the
        situation is unusual or sensitive, or when you are unsure what is right.

        Args:
            reason: One sentence for the person taking over: what the customer needs.
        """
        return result(escalated=True, reason=reason, summary="A person will take over.")

    return escalate_to_human
