"""Every way a conversation reaches a person, and what the person is given."""

from __future__ import annotations

import uuid

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graph import build_graph
from graph.context import Context
from graph.nodes.hand_off import HUMAN_AGENT
from tests.fakes import FakeTriage, StaticRetriever, scripted, tool_call


class Triage(FakeTriage):
    INTENTS = {"return": "return_refund", "human": "talk_to_human", "order": "order_status"}


def _graph(model, backend, triager=None):
    return build_graph(
        model=model,
        retriever=StaticRetriever([]),
        backend=backend,
        triager=triager or Triage(),
        checkpointer=InMemorySaver(),
    )


async def _say(graph, config, text, customer=None):
    return await graph.ainvoke(
        {"messages": [HumanMessage(text)]}, config, context=Context(customer_id=customer)
    )


def _config():
    return {"configurable": {"thread_id": uuid.uuid4().hex}}


async def test_out_of_scope_twice_in_a_row(backend) -> None:
    graph, config = (
        _graph(scripted("I can only help with Brightside.", "Draft."), backend),
        _config(),
    )
    first = await _say(graph, config, "what's the capital of Peru")
    assert first["unclear_streak"] == 1 and "__interrupt__" not in first
    second = await _say(graph, config, "who won the match last night")
    assert second["__interrupt__"][0].value["reason"] == "out_of_scope"


async def test_an_answered_question_resets_the_out_of_scope_streak(backend) -> None:
    graph, config = _graph(scripted("No.", "Let me check.", "No again."), backend), _config()
    await _say(graph, config, "tell me a joke")
    assert (await _say(graph, config, "where is my order"))["unclear_streak"] == 0
    assert "__interrupt__" not in await _say(graph, config, "sing a song")


async def test_a_refund_above_the_limit_goes_to_a_person(fresh_backend) -> None:
    model = scripted(
        tool_call("start_return", order_id="BS-101203", reason="faulty"),
        "Your return is started; a specialist approves the refund.",
        forced=True,
    )
    graph, config = _graph(model, fresh_backend), _config()
    await _say(graph, config, "I want to return BS-101203, it is faulty", customer="C0001")
    state = await graph.ainvoke(
        Command(resume={"approved": True}), config, context=Context(customer_id="C0001")
    )
    [pending] = state["__interrupt__"]
    assert pending.value["reason"] == "refund_review"
    assert pending.value["suggested_reply"].startswith("Your return is started")
    assert pending.value["customer"]["id"] == "C0001"
    assert [o["id"] for o in pending.value["recent_orders"]] == [
        o["id"] for o in fresh_backend.list_orders("C0001")
    ]


async def test_a_refund_under_a_raised_limit_does_not(fresh_backend) -> None:
    model = scripted(
        tool_call("start_return", order_id="BS-101203", reason="faulty"), "Started.", forced=True
    )
    graph, config = _graph(model, fresh_backend), _config()
    context = Context(customer_id="C0001", handoff_refund_above=5000)
    await graph.ainvoke({"messages": [HumanMessage("return BS-101203")]}, config, context=context)
    state = await graph.ainvoke(Command(resume={"approved": True}), config, context=context)
    assert "__interrupt__" not in state and state["messages"][-1].content == "Started."


async def test_the_model_can_escalate_itself(backend) -> None:
    model = scripted(
        tool_call("escalate_to_human", reason="Customer wants a custom installation quote"),
        "I'll get a colleague to help with the quote.",
    )
    graph, config = _graph(model, backend), _config()
    state = await _say(graph, config, "my order needs a custom water line, can you quote it?")
    [pending] = state["__interrupt__"]
    assert pending.value["reason"] == "model_escalation"
    assert pending.value["suggested_reply"] == "I'll get a colleague to help with the quote."


async def test_approve_sends_the_draft_as_the_persons_reply(backend) -> None:
    graph, config = _graph(scripted("A colleague will reply here shortly."), backend), _config()
    state = await _say(graph, config, "can I speak to a human", customer="C0002")
    pending = state["__interrupt__"][0].value
    assert pending["customer"]["name"] == "Ben Okafor"
    assert pending["summary"][-1] == {"role": "customer", "content": "can I speak to a human"}
    done = await graph.ainvoke(
        Command(resume={"action": "approve", "agent": "Dana"}),
        config,
        context=Context(customer_id="C0002"),
    )
    last = done["messages"][-1]
    assert last.name == HUMAN_AGENT and last.content == "A colleague will reply here shortly."
    assert last.additional_kwargs["agent"] == "Dana"
    assert done["handoff"]["action"] == "approve" and done["draft"] is None


async def test_close_ends_without_a_reply(backend) -> None:
    graph, config = _graph(scripted("Draft."), backend), _config()
    await _say(graph, config, "human please")
    done = await graph.ainvoke(Command(resume={"action": "close", "agent": "Dana"}), config)
    assert done["messages"][-1].content == "human please"
    assert (await graph.aget_state(config)).interrupts == ()


class Unsure(FakeTriage):
    """Recognises the intent, but with little confidence."""

    def triage(self, text, previous_language=None):
        return {**super().triage(text, previous_language), "confidence": 0.2}


async def test_low_confidence_twice_in_a_row(backend) -> None:
    model = scripted("Could you tell me more?", "Let me get a colleague.")
    graph, config = _graph(model, backend, Unsure()), _config()
    first = await _say(graph, config, "thanks but the thing with the stuff")
    assert first["unclear_streak"] == 1 and "__interrupt__" not in first
    second = await _say(graph, config, "thanks, the other thing")
    assert second["__interrupt__"][0].value["reason"] == "out_of_scope"
