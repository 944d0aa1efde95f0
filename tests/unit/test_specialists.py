"""Multi-turn conversations with each specialist, on a scripted model that needs forced tools.

The graph picks and forces each tool (as for the local model); the script plays
the model's part: the arguments it would fill and the replies it would write.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from langchain_core.messages import HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from graph import build_graph
from graph.context import Context
from tests.fakes import FakeTriage, StaticRetriever, scripted, tool_call


class SpecialistTriage(FakeTriage):
    INTENTS = {
        "return": "return_refund",
        "cancel": "cancel_order",
        "install": "book_appointment",
        "recommend": "recommendation",
        "where": "order_status",
        "thanks": "thanks",
    }


class Conversation:
    def __init__(self, model, backend, recommender=None, customer: str | None = None) -> None:
        self.model = model
        self.graph = build_graph(
            model=model,
            retriever=StaticRetriever([]),
            backend=backend,
            triager=SpecialistTriage(),
            recommender=recommender,
            checkpointer=InMemorySaver(),
        )
        self.config = {"configurable": {"thread_id": uuid.uuid4().hex}}
        self.context = Context(customer_id=customer)

    async def say(self, text: str) -> dict:
        return await self.graph.ainvoke(
            {"messages": [HumanMessage(text)]}, self.config, context=self.context
        )

    async def confirm(self, approved: bool) -> dict:
        return await self.graph.ainvoke(
            Command(resume={"approved": approved}), self.config, context=self.context
        )

    def forced(self) -> list[str]:
        return [b["tool_choice"] for b in self.model.bound]

    def results(self, state: dict) -> list[tuple[str, dict]]:
        return [
            (m.name, json.loads(m.content)) for m in state["messages"] if isinstance(m, ToolMessage)
        ]


async def test_order_status_asks_for_the_email_then_answers(backend) -> None:
    model = scripted(
        tool_call("get_order_status", order_id="BS-100003"),
        "Could you give me the email address on the order?",
        tool_call("get_order_status", order_id="BS-100003", email="ava.thompson@example.com"),
        "Your order BS-100003 has shipped.",
        forced=True,
    )
    chat = Conversation(model, backend)
    first = await chat.say("Where is my order BS-100003?")
    assert first["messages"][-1].content == "Could you give me the email address on the order?"
    second = await chat.say("ava.thompson@example.com")

    assert chat.forced() == ["get_order_status", "get_order_status"]
    (_, refused), (_, found) = chat.results(second)
    assert "email address" in refused["refusal"]
    assert found["order"]["status"] == "shipped"
    assert second["triage"]["intent"] == "order_status" and second["triage"]["follow_up"]
    assert second["verified_orders"] == ["BS-100003"]
    # The reply was written from the tool's facts.
    assert "Order BS-100003 is shipped." in model.seen[-1][0].content
    assert second["messages"][-1].content == "Your order BS-100003 has shipped."


async def test_return_is_confirmed_then_recorded(fresh_backend) -> None:
    model = scripted(
        tool_call("start_return", order_id="BS-101202", reason="wrong_item"),
        "Your return is started; the refund follows the inspection.",
        forced=True,
    )
    chat = Conversation(model, fresh_backend, customer="C0001")
    paused = await chat.say("I want to return BS-101202, you sent the wrong item")
    [asked] = paused["__interrupt__"]
    assert asked.value["action"] == "start_return"
    assert fresh_backend.get_order("BS-101202")["returns"] == []  # nothing before the yes

    done = await chat.confirm(True)
    assert chat.forced() == ["start_return"]
    [(name, result)] = chat.results(done)
    assert name == "start_return" and result["refund_status"] == "auto_approved"
    [ret] = fresh_backend.get_order("BS-101202")["returns"]
    assert ret["id"] == result["return_id"] and ret["reason"] == "wrong_item"
    assert done["messages"][-1].content.startswith("Your return is started")
    [receipt] = done["messages"][-1].additional_kwargs["receipts"]
    assert receipt["kind"] == "done" and receipt["text"].startswith(
        f"Return {ret['id']} is started"
    )


async def test_booking_offers_slots_then_books_the_chosen_one(fresh_backend) -> None:
    model = scripted(
        tool_call("find_appointment_slots", kind="installation"),
        "Here are the next free slots: …",
        tool_call("book_appointment", slot="the second one"),
        "You're booked.",
        forced=True,
    )
    chat = Conversation(model, fresh_backend, customer="C0003")
    offered = await chat.say("I need an installation for my new washer")
    [(_, slots)] = chat.results(offered)
    second = slots["slots"][1]

    paused = await chat.say("the second one")  # out of scope alone: a follow-up
    assert paused["__interrupt__"][0].value["action"] == "book_appointment"
    done = await chat.confirm(True)

    assert chat.forced() == ["find_appointment_slots", "book_appointment"]
    booked = chat.results(done)[-1][1]
    assert booked["slot_id"] == second["id"]
    [visit] = fresh_backend.list_bookings("C0003", datetime.now())
    assert visit["slot_id"] == second["id"] and visit["id"] == booked["booking_id"]


async def test_declined_booking_leaves_the_slot_free(fresh_backend) -> None:
    model = scripted(
        tool_call("find_appointment_slots", kind="installation"),
        "Here are the next free slots: …",
        tool_call("book_appointment", slot="1"),
        "No problem, nothing was booked.",
        forced=True,
    )
    chat = Conversation(model, fresh_backend, customer="C0003")
    offered = await chat.say("Can someone install my dryer?")
    first = chat.results(offered)[0][1]["slots"][0]
    await chat.say("1")
    done = await chat.confirm(False)
    assert chat.results(done)[-1][1]["declined"] is True
    assert fresh_backend.get_slot(first["id"])["booked_by"] is None
    assert fresh_backend.list_bookings("C0003", datetime.now()) == []


async def test_recommendation_then_thanks(backend, recommender) -> None:
    model = scripted(
        tool_call("recommend_products", need="quiet", category="dishwasher", max_price=900),
        "These three quiet dishwashers fit your budget.",
        "You're welcome!",
        forced=True,
    )
    chat = Conversation(model, backend, recommender, customer="C0002")
    first = await chat.say("Can you recommend a quiet dishwasher under 900 dollars?")
    [(name, result)] = chat.results(first)
    assert name == "recommend_products"
    assert all(p["category"] == "dishwasher" and p["price"] <= 900 for p in result["products"])
    last = await chat.say("thanks!")
    assert chat.forced() == ["recommend_products"]  # no tool for a thank-you
    assert last["messages"][-1].content == "You're welcome!"


async def test_a_model_acting_on_another_customers_order_is_refused(fresh_backend) -> None:
    """A capable model chooses freely; ownership still comes from the session."""
    model = scripted(
        tool_call("cancel_order", order_id="BS-100002"),  # Ava's order; Ben is signed in
        "Sorry, I can't change that order.",
    )
    chat = Conversation(model, fresh_backend, customer="C0002")
    state = await chat.say("cancel BS-100002 right now")
    assert "__interrupt__" not in state  # refused before any confirmation
    [(_, result)] = chat.results(state)
    assert "different account" in result["refusal"]
    assert fresh_backend.get_order("BS-100002")["status"] == "processing"
    with fresh_backend.engine.connect() as conn:
        from sqlalchemy import func, select

        from store import schema

        logged = conn.execute(select(func.count()).select_from(schema.interactions)).scalar()
    assert logged == 0


class ConfusedTriage(SpecialistTriage):
    """Misreads answers the way the trained classifier did on the local-model run."""

    INTENTS = {
        "@example.com": "talk_to_human",
        "second one": "thanks",
        "a person": "talk_to_human",
        **SpecialistTriage.INTENTS,
    }


async def test_answers_are_recognised_by_their_shape_not_their_intent(fresh_backend) -> None:
    model = scripted(
        tool_call("cancel_order", order_id="BS-100002"),
        "Which email is on the order?",
        tool_call("cancel_order", order_id="BS-100002", email="ava.thompson@example.com"),
        forced=True,
    )
    chat = Conversation(model, fresh_backend)
    chat.graph = build_graph(
        model=model,
        retriever=StaticRetriever([]),
        backend=fresh_backend,
        triager=ConfusedTriage(),
        checkpointer=InMemorySaver(),
    )
    await chat.say("cancel BS-100002")
    paused = await chat.say("ava.thompson@example.com")  # classified talk_to_human
    assert paused["triage"]["intent"] == "cancel_order" and paused["triage"]["follow_up"]
    assert paused["__interrupt__"][0].value["action"] == "cancel_order"

    # A real request for a person after an order turn is not taken as an answer.
    model2 = scripted(
        tool_call("get_order_status", order_id="BS-100002"),
        "Which email is on the order?",
        "A colleague will take it from here.",
        forced=True,
    )
    chat2 = Conversation(model2, fresh_backend)
    chat2.graph = build_graph(
        model=model2,
        retriever=StaticRetriever([]),
        backend=fresh_backend,
        triager=ConfusedTriage(),
        checkpointer=InMemorySaver(),
    )
    await chat2.say("where is BS-100002")
    handed = await chat2.say("can I talk to a person")
    assert handed["triage"]["intent"] == "talk_to_human"
    assert handed["__interrupt__"][0].value["kind"] == "handoff"


async def test_a_slot_choice_misread_as_thanks_still_books(fresh_backend) -> None:
    model = scripted(
        tool_call("find_appointment_slots", kind="installation"),
        "Here are the slots.",
        tool_call("book_appointment", slot="the second one"),
        "Booked.",
        forced=True,
    )
    chat = Conversation(model, fresh_backend, customer="C0003")
    chat.graph = build_graph(
        model=model,
        retriever=StaticRetriever([]),
        backend=fresh_backend,
        triager=ConfusedTriage(),
        checkpointer=InMemorySaver(),
    )
    await chat.say("I need an installation")
    paused = await chat.say("The second one, please.")
    assert paused["triage"]["intent"] == "book_appointment"
    done = await chat.confirm(True)
    assert chat.results(done)[-1][1]["ok"] is True
    # The reply was asked to state what was done.
    assert "This is now done. Tell the customer so" in model.seen[-1][0].content
    assert "Booked: installation visit B-" in model.seen[-1][0].content
