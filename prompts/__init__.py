"""Every prompt the model sees, and the fixed texts the graph sends as they are.

Prompts are plain module constants with ``{placeholders}``; they are the
defaults of :class:`graph.context.Context`, so a prompt engineer can override
one per run without touching code.
"""

from prompts.texts import (
    ACTION_DECLINED_NOTE,
    ACTION_DONE_NOTE,
    AGENT_PROMPTS,
    ASK_ORDER_NOTE,
    FOLLOW_UP_NOTE,
    HANDOFF_DRAFT_NOTE,
    HANDOFF_NOTICE,
    NO_ANSWER_NOTE,
    OUT_OF_SCOPE_NOTE,
    REFUSED_NOTE,
    RESPOND_PROMPT,
    SAFETY_INSTRUCTIONS,
    SIGN_IN_NOTE,
    SYSTEM_PROMPT,
)

__all__ = [
    "ACTION_DECLINED_NOTE",
    "ACTION_DONE_NOTE",
    "AGENT_PROMPTS",
    "ASK_ORDER_NOTE",
    "HANDOFF_NOTICE",
    "NO_ANSWER_NOTE",
    "FOLLOW_UP_NOTE",
    "HANDOFF_DRAFT_NOTE",
    "OUT_OF_SCOPE_NOTE",
    "REFUSED_NOTE",
    "RESPOND_PROMPT",
    "SAFETY_INSTRUCTIONS",
    "SIGN_IN_NOTE",
    "SYSTEM_PROMPT",
]
