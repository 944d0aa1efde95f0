"""Whole turns through the compiled graph with scripted models and an in-memory saver."""

import json
import uuid

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

import prompts
from graph import build_graph
from graph.context import Context
from tests.fakes import FakeTriage, StaticRetriever, scripted, tool_call


def _config() -> dict:
    return {"configurable": {"thread_id": uuid.uuid4().hex}}


def _build(model, backend, retriever=None):
    return build_graph(
        model=model,
        retriever=retriever or StaticRetriever(),
        backend=backend,
        triager=FakeTriage(),
        checkpointer=InMemorySaver(),
    )


async def _turn(graph, config, text: str, context: Context | None = None) -> dict:
    return await graph.ainvoke(
        {"messages": [HumanMessage(text)]}, config, context=context or Context()
    )


def _nodes_run(graph, config) -> list[str]:
    return [
        step.metadata["writes"] and next(iter(step.metadata["writes"]))
        for step in reversed(list(graph.get_state_history(config)))
        if step.metadata and step.metadata.get("writes")
    ]


async def test_greeting_streams_tokens_from_respond(backend) -> None:
    graph = _build(scripted("Hello! How can I help with your appliances today?"), backend)
    config = _config()
    tokens = []
    async for piece, meta in graph.astream(
        {"messages": [HumanMessage("hi there")]}, config, context=Context(), stream_mode="messages"
    ):
        if isinstance(piece, AIMessageChunk) and piece.content:
            assert meta["langgraph_node"] == "respond"
            tokens.append(piece.content)
    assert len(tokens) == 9
    assert "".join(tokens) == "Hello! How can I help with your appliances today?"


async def test_policy_question_is_retrieved_and_cited(backend) -> None:
    retriever = StaticRetriever()
    graph = _build(scripted("Most items can be returned within 30 days."), backend, retriever)
    state = await _turn(graph, _config(), "What's your warranty policy on returns?")
    answer = state["messages"][-1]
    assert answer.additional_kwargs["citations"][0]["id"] == "returns-how-to-return"
    assert retriever.queries == ["What's your warranty policy on returns?"]


async def test_free_agent_chains_tools_then_answers(backend) -> None:
    model = scripted(
        tool_call("get_order_status", order_id="BS-100003", email="ava.thompson@example.com"),
        "Your order BS-100003 has shipped with Brightside Fleet.",
    )
    graph = _build(model, backend)
    state = await _turn(graph, _config(), "where is my order BS-100003? ava.thompson@example.com")
    tool_msgs = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert len(tool_msgs) == 1
    result = json.loads(tool_msgs[0].content)
    assert result["ok"] is True and result["order"]["status"] == "shipped"
    assert (
        state["messages"][-1].content == "Your order BS-100003 has shipped with Brightside Fleet."
    )
    assert model.bound[0]["tool_choice"] is None  # free choice
    assert len(model.seen) == 2  # the agent wrote the answer; respond did not generate again


async def test_forced_agent_runs_one_tool_then_respond_phrases_it(backend) -> None:
    model = scripted(
        tool_call("get_order_status", order_id="BS-100003", email="ava.thompson@example.com"),
        "Good news: BS-100003 is on its way.",
        forced=True,
    )
    graph = _build(model, backend)
    state = await _turn(
        graph, _config(), "where is BS-100003? my email is ava.thompson@example.com"
    )
    assert model.bound == [
        {
            "tools": [
                "get_order_status",
                "list_recent_orders",
                "cancel_order",
                "start_return",
                "escalate_to_human",
            ],
            "tool_choice": "get_order_status",
        }
    ]
    assert state["messages"][-1].content == "Good news: BS-100003 is on its way."
    respond_prompt = model.seen[1][0].content
    # the tool's result reached the reply's facts, as plain sentences
    assert "Order BS-100003 is shipped." in respond_prompt
    assert "Latest tracking update" in respond_prompt


async def test_signed_in_customer_gets_recent_orders_without_giving_a_number(backend) -> None:
    model = scripted(tool_call("list_recent_orders"), "Here are your orders.", forced=True)
    graph = _build(model, backend)
    state = await _turn(graph, _config(), "where is my order?", Context(customer_id="C0001"))
    result = json.loads(next(m for m in state["messages"] if isinstance(m, ToolMessage)).content)
    assert result["ok"] is True
    assert {o["id"] for o in result["orders"]} >= {"BS-100001", "BS-100002"}


async def test_anonymous_order_question_without_number_asks_for_it(backend) -> None:
    model = scripted("Could you share the order number and its email?", forced=True)
    retriever = StaticRetriever()
    graph = _build(model, backend, retriever)
    state = await _turn(graph, _config(), "where is my order?")
    assert not any(isinstance(m, ToolMessage) for m in state["messages"])
    assert model.bound == []  # no tool was forced
    assert prompts.ASK_ORDER_NOTE in model.seen[0][0].content
    assert retriever.queries  # the help centre filled in


async def test_another_customers_order_is_refused(backend) -> None:
    model = scripted(
        tool_call("get_order_status", order_id="BS-100003"),
        "Sorry, I can't share that order.",
        forced=True,
    )
    graph = _build(model, backend)
    state = await _turn(
        graph, _config(), "status of BS-100003 please", Context(customer_id="C0002")
    )
    result = json.loads(next(m for m in state["messages"] if isinstance(m, ToolMessage)).content)
    assert result == {
        "ok": False,
        "refusal": "That order belongs to a different account; no details can be given.",
    }


@pytest.mark.parametrize(
    ("text", "tool", "args", "key"),
    [
        (
            "I need to book an installation for my new washer",
            "find_appointment_slots",
            {"kind": "installation"},
            "slots",
        ),
        (
            "can you recommend a quiet dishwasher under $900",
            "recommend_products",
            {"need": "quiet dishwasher", "category": "dishwasher", "max_price": 900},
            "products",
        ),
        ("what's the status of my ticket", "get_ticket_status", {}, "tickets"),
    ],
)
async def test_each_specialist_forces_its_first_tool(backend, text, tool, args, key) -> None:
    model = scripted(tool_call(tool, **args), "Done.", forced=True)
    graph = _build(model, backend)
    state = await _turn(graph, _config(), text, Context(customer_id="C0001"))
    assert model.bound[0]["tool_choice"] == tool
    result = json.loads(next(m for m in state["messages"] if isinstance(m, ToolMessage)).content)
    assert result["ok"] is True and result[key]


async def test_emergency_gets_safety_text_then_a_priority_handoff(backend) -> None:
    model = scripted()
    graph = _build(model, backend)
    config = _config()
    state = await _turn(graph, config, "there are sparks coming out of my dishwasher")
    assert state["messages"][-1].content == prompts.SAFETY_INSTRUCTIONS["fire"]
    snapshot = await graph.aget_state(config)
    (pending,) = snapshot.interrupts
    assert pending.value["priority"] == "urgent"
    assert pending.value["reason"] == "emergency:fire"
    assert model.seen == []  # no model in the emergency path

    await graph.ainvoke(
        Command(
            resume={
                "action": "edit",
                "message": "Please stay outside; a technician is coming.",
                "agent": "sam",
            }
        ),
        config,
        context=Context(),
    )
    final = await graph.aget_state(config)
    assert final.interrupts == ()
    last = final.values["messages"][-1]
    assert last.name == "human_agent" and last.content.startswith("Please stay outside")
    assert final.values["handoff"]["action"] == "edit"


async def test_return_to_bot_resumes_into_respond(backend) -> None:
    model = scripted(
        "Of course, a colleague will reply here.", "Happy to help again — what do you need?"
    )
    graph = _build(model, backend)
    config = _config()
    await _turn(graph, config, "I want to talk to a real person")
    pending = (await graph.aget_state(config)).interrupts[0].value
    assert pending["priority"] == "normal" and pending["reason"] == "customer_request"
    assert pending["suggested_reply"] == "Of course, a colleague will reply here."
    state = await graph.ainvoke(
        Command(resume={"action": "return_to_bot"}), config, context=Context()
    )
    assert isinstance(state["messages"][-1], AIMessage)
    assert state["messages"][-1].content == "Happy to help again — what do you need?"


async def test_memory_across_turns(backend) -> None:
    model = scripted("Hi!", "Yes, I remember.")
    graph = _build(model, backend)
    config = _config()
    await _turn(graph, config, "hello")
    await _turn(graph, config, "thanks, do you remember me?")
    second_prompt = model.seen[1]
    assert [m.content for m in second_prompt if isinstance(m, HumanMessage)] == [
        "hello",
        "thanks, do you remember me?",
    ]


async def test_two_strongly_negative_turns_go_to_a_person(backend) -> None:
    model = scripted("Sorry to hear that.", "I understand, I'm sorry this keeps failing.")
    graph = build_graph(
        model=model,
        retriever=StaticRetriever(),
        backend=backend,
        triager=FakeTriage(sentiment=-0.8),
        checkpointer=InMemorySaver(),
    )
    config = _config()
    first = await _turn(graph, config, "this is awful")
    assert first["escalation"] is None and "__interrupt__" not in first
    assert first["messages"][-1].content == "Sorry to hear that."
    second = await _turn(graph, config, "still awful, nothing works")
    assert prompts.HANDOFF_DRAFT_NOTE in model.seen[1][0].content
    [pending] = second["__interrupt__"]
    assert pending.value["reason"] == "negative_sentiment"
    assert pending.value["priority"] == "high"
    assert pending.value["suggested_reply"] == "I understand, I'm sorry this keeps failing."
    # The draft waits for the person: the customer has not been sent it.
    assert second["messages"][-1].content == "still awful, nothing works"


async def test_previous_language_is_passed_to_triage(backend) -> None:
    triager = FakeTriage(language="es")
    model = scripted("¡Hola!", "De nada.")
    graph = build_graph(
        model=model,
        retriever=StaticRetriever(),
        backend=backend,
        triager=triager,
        checkpointer=InMemorySaver(),
    )
    config = _config()
    await _turn(graph, config, "hola")
    await _turn(graph, config, "gracias")
    assert [previous for _, previous in triager.seen] == [None, "es"]
    assert "Write your reply in Spanish" in model.seen[1][0].content
