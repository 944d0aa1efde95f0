"""``respond``: write the customer-facing reply from the facts of this turn."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, SystemMessage
from langgraph.runtime import Runtime

import prompts
from graph.context import Context
from graph.nodes._messages import conversation, current_turn, tool_results
from graph.resources import Lazy
from graph.routing import INTENT_ROUTES
from graph.state import Citation, Escalation, Passage, State
from tools import SENSITIVE_TOOLS

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German"}


def citations_for(passages: list[Passage]) -> list[Citation]:
    """One citation per article, in retrieval order."""
    seen: dict[str, Citation] = {}
    for passage in passages:
        seen.setdefault(
            passage["article_id"], {"id": passage["article_id"], "title": passage["title"]}
        )
    return list(seen.values())


def _readable(content: Any) -> str:
    """A tool's plain-language summary (or refusal) when it gives one, else its raw result."""
    try:
        data = json.loads(content)
    except (TypeError, json.JSONDecodeError):
        return str(content)
    if isinstance(data, dict):
        if data.get("refusal"):
            return f"Refused: {data['refusal']}"
        if data.get("summary"):
            return str(data["summary"])
    return str(content)


def _facts(state: State, turn: list[Any]) -> str:
    parts = []
    for message in tool_results(turn):
        parts.append(f"[tool {message.name}] {_readable(message.content)}")
    for passage in state.get("passages", []):
        parts.append(f"[article {passage['article_id']}: {passage['title']}]\n{passage['text']}")
    return "\n\n".join(parts) or "(none)"


def _notes(state: State, turn: list[Any], escalation: Escalation | None) -> str:
    notes = [prompts.HANDOFF_DRAFT_NOTE] if escalation else []
    triage = state.get("triage")
    if triage and triage.get("follow_up"):
        asked = [m.text for m in state["messages"] if isinstance(m, HumanMessage)]
        if len(asked) >= 2:
            notes.append(prompts.FOLLOW_UP_NOTE.format(request=asked[-2]))
    note = _route_note(state, turn)
    return "\n".join([*notes, note] if note else notes)


def escalation_for(state: State, turn: list[Any], context: Context) -> Escalation | None:
    """Why this reply should go to a person first, if it should.

    Triage's reason, a refund above ``handoff_refund_above``, or the model's own
    ``escalate_to_human`` call.
    """
    if state.get("escalation"):
        return state["escalation"]
    for message in tool_results(turn):
        if message.name == "escalate_to_human":
            return {"reason": "model_escalation", "priority": "normal"}
        if message.name == "start_return":
            try:
                data = json.loads(str(message.content))
            except json.JSONDecodeError:
                continue
            if data.get("ok") and data.get("refund_amount", 0) > context.handoff_refund_above:
                return {"reason": "refund_review", "priority": "normal"}
    return None


def receipts_for(turn: list[Any]) -> list[dict[str, str]]:
    """What the systems said this turn, word for word, for the chat to show under the reply.

    A small model may misstate an order or an action; the customer still sees the
    facts as the tools wrote them.
    """
    out = []
    for message in tool_results(turn):
        try:
            data = json.loads(str(message.content))
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            continue
        if data.get("declined"):
            out.append({"kind": "declined", "text": str(data["summary"])})
        elif data.get("refusal"):
            out.append({"kind": "refused", "text": str(data["refusal"])})
        elif data.get("ok") and message.name in SENSITIVE_TOOLS:
            out.append({"kind": "done", "text": str(data.get("summary", ""))})
        elif data.get("ok") and message.name == "get_order_status":
            out.append({"kind": "order", "text": str(data.get("summary", ""))})
    return out


def _outcome_note(turn: list[Any]) -> str:
    """How the turn's last tool call ended: done, declined or refused."""
    results = tool_results(turn)
    if not results:
        return ""
    try:
        data = json.loads(str(results[-1].content))
    except json.JSONDecodeError:
        return ""
    if not isinstance(data, dict):
        return ""
    if data.get("declined"):
        return prompts.ACTION_DECLINED_NOTE
    if data.get("refusal"):
        return prompts.REFUSED_NOTE.format(reason=data["refusal"])
    if data.get("ok") and results[-1].name in SENSITIVE_TOOLS:
        return prompts.ACTION_DONE_NOTE.format(summary=data.get("summary", ""))
    return ""


def _route_note(state: State, turn: list[Any]) -> str:
    triage = state.get("triage")
    intent = triage["intent"] if triage else "oos"
    route = INTENT_ROUTES.get(intent)
    outcome = _outcome_note(turn)
    if outcome:
        return outcome
    if intent == "oos":
        return prompts.OUT_OF_SCOPE_NOTE
    if route == "retrieve" and not state.get("passages"):
        return prompts.NO_ANSWER_NOTE
    if route == "call_orders_agent" and not tool_results(turn):
        return prompts.ASK_ORDER_NOTE
    if route == "call_crm_agent" and not tool_results(turn):
        return prompts.SIGN_IN_NOTE
    return ""


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def _redacted(message: Any) -> Any:
    """The message with email addresses replaced.

    The facts carry what was verified, and small models tend to refuse to answer
    a conversation that shows an email address.
    """
    text = message.content if isinstance(message.content, str) else message.text
    if not EMAIL.search(text):
        return message
    return message.model_copy(update={"content": EMAIL.sub("(their email address)", text)})


def make_respond(model: Lazy[BaseChatModel]) -> Any:
    """Return the respond node bound to ``model``."""

    async def respond(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Reply in the customer's language, citing the articles used."""
        context = runtime.context or Context()
        messages = state["messages"]
        turn = current_turn(messages)
        last = messages[-1]
        passages = state.get("passages", [])
        citations = citations_for(passages)
        escalation = escalation_for(state, turn, context)
        if isinstance(last, AIMessage) and not last.tool_calls and last.content and len(turn) > 1:
            # A capable agent already wrote the answer: keep it, add the citations
            # (or hold it back as the draft for a person).
            if escalation:
                return {
                    "messages": [RemoveMessage(id=last.id or "")],
                    "draft": last.text,
                    "escalation": escalation,
                }
            last.additional_kwargs["citations"] = citations
            last.additional_kwargs["receipts"] = receipts_for(turn)
            return {"messages": [last]}
        triage = state.get("triage")
        language = LANGUAGE_NAMES.get(triage["language"] if triage else "en", "English")
        system = context.respond_prompt.format(
            system_prompt=context.system_prompt.format(
                today=date.today().isoformat(), language_name=language
            ),
            intent=triage["intent"] if triage else "unknown",
            notes=_notes(state, turn, escalation),
            facts=_facts(state, turn),
        )
        chat = await model.aget()
        history = [_redacted(m) for m in conversation(messages, context.history_turns)]
        reply = await chat.ainvoke([SystemMessage(content=system), *history])
        if escalation:
            return {"draft": reply.text, "escalation": escalation}
        answer = AIMessage(
            content=reply.content,
            id=reply.id,
            additional_kwargs={
                "citations": citations,
                "receipts": receipts_for(turn),
                "triage": dict(triage or {}),
            },
        )
        return {"messages": [answer]}

    return respond
