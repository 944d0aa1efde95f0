"""The real local model (Qwen2.5-Coder-1.5B Q4_K_M via llama.cpp): a few slow tests."""

import json
import uuid

import pytest
from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from graph import build_graph
from graph.context import Context
from graph.llm import load_chat_model
from tests.conftest import ROOT
from tests.fakes import FakeTriage, StaticRetriever

pytestmark = pytest.mark.local_model


@pytest.fixture(scope="module")
def local_model():
    model = load_chat_model("local", models_dir=ROOT / ".data" / "models", max_tokens=60)
    model.load()
    return model


async def test_streams_text(local_model) -> None:
    prompt = [HumanMessage("Describe a dishwasher in one full sentence.")]
    chunks = [c async for c in local_model.astream(prompt)]
    text = "".join(str(c.content) for c in chunks)
    assert len(chunks) >= 5  # streamed token by token, not in one piece
    assert len(text.split()) >= 5


async def test_forced_tool_call_extracts_arguments(local_model, backend) -> None:
    from graph.resources import Lazy
    from tools import build_tools

    tools = build_tools(Lazy.of(backend), Lazy.of(None))["orders"]
    bound = local_model.bind_tools(tools, tool_choice="get_order_status")
    reply = await bound.ainvoke(
        [
            SystemMessage("You are a support assistant."),
            HumanMessage("Where is my order BS-100003? My email is ava.thompson@example.com"),
        ]
    )
    (call,) = reply.tool_calls
    assert call["name"] == "get_order_status"
    assert call["args"]["order_id"].upper().replace("-", "") == "BS100003"


async def test_order_turn_end_to_end(local_model, backend) -> None:
    graph = build_graph(
        model=local_model,
        retriever=StaticRetriever(),
        backend=backend,
        triager=FakeTriage(),
        checkpointer=InMemorySaver(),
    )
    state = await graph.ainvoke(
        {"messages": [HumanMessage("Where is my order BS-100003? email ava.thompson@example.com")]},
        {"configurable": {"thread_id": uuid.uuid4().hex}},
        context=Context(),
    )
    tool_results = [json.loads(m.content) for m in state["messages"] if isinstance(m, ToolMessage)]
    assert tool_results and tool_results[0]["ok"] is True
    assert tool_results[0]["order"]["status"] == "shipped"
    assert str(state["messages"][-1].content).strip()


@pytest.mark.parametrize("index", range(4), ids=["order", "return", "booking", "recommend"])
async def test_specialist_conversations_take_the_expected_tool_path(
    local_model, fresh_backend, recommender, trained_triage_dir, index
) -> None:
    """The four conversations of ``evals.specialists`` on the real model and triage."""
    from evals.specialists import SCENARIOS, run
    from triage import load_or_train

    scenario = SCENARIOS[index]
    graph = build_graph(
        model=local_model,
        retriever=StaticRetriever([]),
        backend=fresh_backend,
        triager=load_or_train(trained_triage_dir),
        recommender=recommender,
        checkpointer=InMemorySaver(),
    )
    result = await run(graph, scenario)
    assert tuple(result["tools"]) == scenario.expected_tools, result["transcript"]
