"""Four specialist conversations end to end, printed as Markdown transcripts.

Order status (anonymous, verified by email), a return, a booking and a
recommendation run through the real graph over a private copy of the demo
store; confirmations are approved. With the local model this shows what a
customer would see from the offline default.

    python -m evals.specialists [--model local] [--triage DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graph.context import Context


@dataclass(frozen=True)
class Scenario:
    """A conversation: who is signed in, and what the customer says."""

    name: str
    customer_id: str | None
    turns: tuple[str, ...]
    expected_tools: tuple[str, ...]


SCENARIOS = (
    Scenario(
        "Order status (anonymous, verified by email)",
        None,
        ("Where is my order BS-100003?", "ava.thompson@example.com"),
        ("get_order_status", "get_order_status"),
    ),
    Scenario(
        "Return (Ava, signed in)",
        "C0001",
        ("I'd like to return order BS-101202, you sent me the wrong item.",),
        ("start_return",),
    ),
    Scenario(
        "Booking (Chloe, signed in)",
        "C0003",
        ("Can I book an installation for my new dishwasher?", "The second one, please."),
        ("find_appointment_slots", "book_appointment"),
    ),
    Scenario(
        "Recommendation (Ben, signed in)",
        "C0002",
        ("Can you recommend a quiet dishwasher under 900 dollars?",),
        ("recommend_products",),
    ),
)


class _NoPassages:
    """These conversations need no help-centre article."""

    async def asearch(self, query: str, k: int = 4, **filters: Any) -> list[Any]:
        return []


async def run(graph: Any, scenario: Scenario) -> dict[str, Any]:
    """Run one scenario, approving confirmations; return its transcript and tool calls."""
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    context = Context(customer_id=scenario.customer_id)
    lines: list[str] = []
    tools: list[str] = []
    seen = 0
    for text in scenario.turns:
        lines.append(f"**Customer:** {text}")
        started = time.perf_counter()
        payload: Any = {"messages": [HumanMessage(text)]}
        while True:
            state = await graph.ainvoke(payload, config, context=context)
            messages = state["messages"]
            for message in messages[seen:]:
                if isinstance(message, AIMessage) and message.tool_calls:
                    for call in message.tool_calls:
                        tools.append(call["name"])
                        lines.append(f"- tool call `{call['name']}({json.dumps(call['args'])})`")
                elif isinstance(message, ToolMessage):
                    data = json.loads(str(message.content))
                    shown = data.get("summary") or data.get("refusal") or message.content
                    lines.append(f"- tool result: {str(shown)[:400]}")
            seen = len(messages)
            asked = state.get("__interrupt__")
            if not asked:
                break
            lines.append(f"- **Confirm?** {asked[0].value['summary']} → customer clicks Confirm")
            payload = Command(resume={"approved": True})
        reply = messages[-1]
        triage = state.get("triage") or {}
        lines.append(
            f"- triage: intent `{triage.get('intent')}`"
            + (" (follow-up)" if triage.get("follow_up") else "")
            + f", {time.perf_counter() - started:.1f} s for the turn"
        )
        lines.append(f"**Assistant:** {reply.content}")
    return {"transcript": "\n".join(lines), "tools": tools}


async def main_async(args: argparse.Namespace) -> int:
    """Run every scenario and print the report; non-zero if a tool path differed."""
    from graph import build_graph
    from graph.llm import load_chat_model
    from store.backend import SqlStoreBackend
    from store.catalog import ProductIndex
    from store.embeddings import Embedder
    from store.seed import seed
    from triage import load_or_train

    workdir = Path(tempfile.mkdtemp(prefix="sg-specialists-"))
    backend = SqlStoreBackend.from_url(f"sqlite:///{workdir / 'store.db'}")
    seed(backend.engine)
    model = load_chat_model(args.model, models_dir=Path(".data/models"))
    if hasattr(model, "load"):
        model.load()
    graph = build_graph(
        model=model,
        retriever=_NoPassages(),
        backend=backend,
        triager=load_or_train(Path(args.triage)),
        recommender=ProductIndex(backend, Embedder()),
        checkpointer=InMemorySaver(),
    )
    out = [f"# Specialist conversations, model `{args.model}`\n"]
    failures = 0
    for scenario in SCENARIOS:
        result = await run(graph, scenario)
        ok = tuple(result["tools"]) == scenario.expected_tools
        failures += not ok
        out.append(f"## {scenario.name}\n\n{result['transcript']}\n")
        out.append(f"Tools called: {result['tools']} (expected {list(scenario.expected_tools)})\n")
    report = "\n".join(out)
    print(report)
    if args.out:
        Path(args.out).write_text(report)
    return 1 if failures else 0


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="local", help="`local` or a provider:model string")
    parser.add_argument("--triage", default=".data/triage", help="trained triage model dir")
    parser.add_argument("--out", help="also write the Markdown report here")
    raise SystemExit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
