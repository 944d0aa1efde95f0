import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from graph.routing import INTENT_ROUTES, route_after_agent, route_after_respond, route_after_triage


def _triage(intent: str, emergency: str | None = None) -> dict:
    return {
        "intent": intent,
        "confidence": 0.9,
        "emergency": emergency,
        "sentiment": 0.0,
        "language": "en",
    }


@pytest.mark.parametrize(
    ("intent", "route"),
    [
        ("greeting", "respond"),
        ("oos", "respond"),
        ("thanks", "respond"),
        ("talk_to_human", "respond"),  # drafts a reply for the person first
        ("order_status", "call_orders_agent"),
        ("return_refund", "call_orders_agent"),
        ("ticket_status", "call_crm_agent"),
        ("book_appointment", "call_appointments_agent"),
        ("recommendation", "call_recommendations_agent"),
        ("policy_question", "retrieve"),
        ("shipping_delivery", "retrieve"),
    ],
)
def test_route_after_triage_follows_the_intent(intent: str, route: str) -> None:
    assert route_after_triage({"messages": [], "triage": _triage(intent)}) == route


def test_an_emergency_overrides_any_intent() -> None:
    for intent in ("greeting", "order_status", "talk_to_human"):
        state = {"messages": [], "triage": _triage(intent, emergency="gas")}
        assert route_after_triage(state) == "alert_safety"


def test_every_routed_intent_targets_a_real_node() -> None:
    from graph import graph

    assert set(INTENT_ROUTES.values()) <= set(graph.nodes)


def test_route_after_respond_hands_off_a_draft() -> None:
    escalation = {"reason": "customer_request", "priority": "normal"}
    assert route_after_respond({"messages": [], "escalation": escalation}) == "hand_off"
    assert route_after_respond({"messages": [], "escalation": None}) == "__end__"


def test_route_after_agent() -> None:
    call = AIMessage(content="", tool_calls=[{"name": "x", "args": {}, "id": "1"}])
    assert route_after_agent({"messages": [HumanMessage("hi"), call]}) == "tools"
    assert route_after_agent({"messages": [HumanMessage("hi")]}) == "retrieve"
    done = [HumanMessage("hi"), call, ToolMessage("{}", tool_call_id="1"), AIMessage("ok")]
    assert route_after_agent({"messages": done}) == "respond"
