"""Single nodes, invoked from the compiled graph with a fake model."""

import json
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph._internal._constants import CONFIG_KEY_RUNTIME
from langgraph.runtime import Runtime

import prompts
from graph import build_graph
from graph.context import Context
from graph.nodes.call_agent import pick_tool
from tests.fakes import RETURNS_PASSAGE, FakeTriage, StaticRetriever, scripted, tool_call


def _config(context: Context | None = None) -> dict[str, Any]:
    return {"configurable": {CONFIG_KEY_RUNTIME: Runtime(context=context or Context())}}


def _triage(intent: str, emergency: str | None = None, language: str = "en") -> dict:
    return {
        "intent": intent,
        "confidence": 0.9,
        "emergency": emergency,
        "sentiment": 0.0,
        "language": language,
    }


async def test_triage_records_result_and_trend(backend) -> None:
    graph = build_graph(
        model=scripted(), retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )
    state = {
        "messages": [HumanMessage("where is my order BS-100003?")],
        "sentiment_trend": [0.1] * 5,
    }
    update = await graph.nodes["triage"].ainvoke(state)
    assert update["triage"]["intent"] == "order_status"
    assert update["triage"]["emergency"] is None
    assert len(update["sentiment_trend"]) == 5
    assert update["passages"] == []


async def test_retrieve_drops_passages_under_the_threshold(backend) -> None:
    weak = {**RETURNS_PASSAGE, "article_id": "weak", "score": 0.1}
    retriever = StaticRetriever([RETURNS_PASSAGE, weak])
    graph = build_graph(
        model=scripted(), retriever=retriever, backend=backend, triager=FakeTriage()
    )
    update = await graph.nodes["retrieve"].ainvoke(
        {"messages": [HumanMessage("how do I return a fridge?")]}, _config()
    )
    assert [p["article_id"] for p in update["passages"]] == ["returns-how-to-return"]
    assert retriever.queries == ["how do I return a fridge?"]


async def test_respond_fences_passages_and_cites_them(backend) -> None:
    model = scripted("You have 30 days.")
    graph = build_graph(
        model=model, retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )
    state = {
        "messages": [HumanMessage("how long to return?")],
        "triage": _triage("policy_question", language="es"),
        "passages": [RETURNS_PASSAGE],
    }
    update = await graph.nodes["respond"].ainvoke(state, _config())
    answer = update["messages"][0]
    assert answer.content == "You have 30 days."
    assert answer.additional_kwargs["citations"] == [
        {"id": "returns-how-to-return", "title": "How to return an item"}
    ]
    system = model.seen[0][0].content
    facts = system.split("<facts>")[1].split("</facts>")[0]
    assert RETURNS_PASSAGE["text"] in facts
    assert "Spanish" in system


async def test_respond_without_passages_declines_to_guess(backend) -> None:
    model = scripted("I couldn't find that.")
    graph = build_graph(
        model=model, retriever=StaticRetriever([]), backend=backend, triager=FakeTriage()
    )
    state = {
        "messages": [HumanMessage("do you sell boats?")],
        "triage": _triage("policy_question"),
        "passages": [],
    }
    await graph.nodes["respond"].ainvoke(state, _config())
    assert prompts.NO_ANSWER_NOTE in model.seen[0][0].content


def test_alert_safety_sends_the_written_instructions(backend) -> None:
    graph = build_graph(
        model=scripted(), retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )
    update = graph.nodes["alert_safety"].invoke(
        {"messages": [HumanMessage("my dryer is on fire")], "triage": _triage("oos", "fire")}
    )
    assert update["messages"][0].content == prompts.SAFETY_INSTRUCTIONS["fire"]


async def test_forced_agent_binds_only_its_tools_and_forces_one(backend) -> None:
    model = scripted(tool_call("get_order_status", order_id="BS-100003"), forced=True)
    graph = build_graph(
        model=model, retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )
    state = {"messages": [HumanMessage("where is BS-100003?")], "triage": _triage("order_status")}
    update = await graph.nodes["call_orders_agent"].ainvoke(state, _config())
    assert update["messages"][0].tool_calls[0]["name"] == "get_order_status"
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


async def test_orders_tools_node_refuses_someone_elses_order(backend) -> None:
    graph = build_graph(
        model=scripted(), retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )
    call = tool_call("get_order_status", order_id="BS-100003")  # Ava's (C0001) order
    state = {"messages": [HumanMessage("where is BS-100003?"), call]}
    update = await graph.nodes["orders_tools"].ainvoke(state, _config(Context(customer_id="C0002")))
    result = json.loads(update["messages"][0].content)
    assert result["ok"] is False
    assert "different account" in result["refusal"]


def test_pick_tool_chooses_actions_from_intent_and_conversation() -> None:
    assert pick_tool("orders", "cancel_order", "cancel BS-100002 please", None) == "cancel_order"
    assert pick_tool("orders", "return_refund", "return BS-100005", "C0001") == "start_return"
    assert (
        pick_tool("orders", "return_refund", "where is my refund for BS-100007", "C0001")
        == "get_order_status"
    )
    # The order number was given in an earlier message.
    assert (
        pick_tool("orders", "cancel_order", "ava@example.com", None, history="cancel BS-100002")
        == "cancel_order"
    )
    assert pick_tool("orders", "cancel_order", "cancel my order", None) is None
    assert (
        pick_tool("crm", "account_details", "please switch me to sms", "C0001")
        == "update_contact_preferences"
    )
    assert pick_tool("crm", "complaint", "the installer broke my tap", "C0001") == "open_ticket"
    assert (
        pick_tool("appointments", "book_appointment", "the second one", "C0001")
        == "find_appointment_slots"
    )
    assert (
        pick_tool("appointments", "book_appointment", "the 2nd", "C0001", slots_offered=True)
        == "book_appointment"
    )
    assert (
        pick_tool("appointments", "reschedule_appointment", "2", "C0001", slots_offered=True)
        == "reschedule_appointment"
    )
    assert pick_tool("appointments", "cancel_appointment", "cancel it", "C0001") == (
        "cancel_appointment"
    )
    assert pick_tool("appointments", "cancel_appointment", "cancel it", None) is None


def test_pick_tool_decides_in_code() -> None:
    assert pick_tool("orders", "order_status", "where is BS-100003", None) == "get_order_status"
    assert pick_tool("orders", "order_status", "where is my order", "C0001") == "list_recent_orders"
    assert pick_tool("orders", "order_status", "where is my order", None) is None
    assert pick_tool("crm", "account_details", "my email", "C0001") == "get_customer_profile"
    assert pick_tool("crm", "ticket_status", "my ticket", None) is None
    assert pick_tool("appointments", "book_appointment", "", None) == "find_appointment_slots"
    assert pick_tool("recommendations", "recommendation", "", None) == "recommend_products"


async def test_agent_reply_is_kept_by_respond(backend) -> None:
    model = scripted()
    graph = build_graph(
        model=model, retriever=StaticRetriever(), backend=backend, triager=FakeTriage()
    )
    call = tool_call("list_recent_orders")
    final = AIMessage(content="Your last order shipped.", id="final")
    from langchain_core.messages import ToolMessage

    state = {
        "messages": [
            HumanMessage("my orders?"),
            call,
            ToolMessage("{}", tool_call_id=call.tool_calls[0]["id"]),
            final,
        ],
        "triage": _triage("order_status"),
    }
    update = await graph.nodes["respond"].ainvoke(state, _config())
    assert update["messages"][0].id == "final"
    assert model.seen == []  # no second generation
