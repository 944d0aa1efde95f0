"""Every specialist tool against the seeded store, with each refusal path.

Tools run inside a one-node graph (a ``ToolNode`` with an in-memory saver), as
they do in the support graph, so the confirmation ``interrupt()`` and its
``Command(resume=...)`` are real.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Command
from sqlalchemy import func, insert, select

from graph.context import Context
from graph.resources import Lazy
from graph.state import State
from store import schema
from store.backend import SqlStoreBackend
from tools import SENSITIVE_TOOLS, build_tools
from tools.appointments import resolve_slot


@dataclass
class Outcome:
    result: dict[str, Any]
    confirmation: dict[str, Any] | None
    state: dict[str, Any]


class Tools:
    """Calls one tool as the graph would, answering its confirmation if it asks."""

    def __init__(self, backend: SqlStoreBackend, recommender: Any = None) -> None:
        by_domain = build_tools(Lazy.of(backend), Lazy.of(recommender))
        tools = [t for domain in by_domain.values() for t in domain]
        builder = StateGraph(State)
        builder.add_node("tools", ToolNode(tools, handle_tool_errors=True))
        builder.add_edge(START, "tools")
        builder.add_edge("tools", END)
        self.graph = builder.compile(checkpointer=InMemorySaver())

    async def call(
        self,
        name: str,
        args: dict[str, Any],
        *,
        customer: str | None = None,
        approve: bool | None = None,
        before: list[Any] | None = None,
        verified: list[str] | None = None,
        call_id: str | None = None,
        thread_id: str | None = None,
    ) -> Outcome:
        config = {"configurable": {"thread_id": thread_id or uuid.uuid4().hex}}
        context = Context(customer_id=customer)
        call = AIMessage(
            content="",
            tool_calls=[{"name": name, "args": args, "id": call_id or uuid.uuid4().hex}],
        )
        state = {"messages": [*(before or []), call], "verified_orders": verified or []}
        out = await self.graph.ainvoke(state, config, context=context)
        asked = out.get("__interrupt__")
        confirmation = asked[0].value if asked else None
        if asked:
            assert approve is not None, f"{name} asked for a confirmation: {confirmation}"
            out = await self.graph.ainvoke(
                Command(resume={"approved": approve}), config, context=context
            )
        else:
            assert approve is None, f"{name} did not ask for a confirmation"
        return Outcome(json.loads(out["messages"][-1].content), confirmation, out)


def _count(backend: SqlStoreBackend, table: Any, *where: Any) -> int:
    with backend.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def _interactions(backend: SqlStoreBackend) -> int:
    return _count(backend, schema.interactions)


def _status(backend: SqlStoreBackend, order_id: str) -> str:
    order = backend.get_order(order_id)
    assert order is not None
    return order["status"]


# -- orders -------------------------------------------------------------------


async def test_order_status_for_its_owner_and_for_a_verified_email(backend) -> None:
    tools = Tools(backend)
    signed_in = await tools.call("get_order_status", {"order_id": "BS-100003"}, customer="C0001")
    assert signed_in.result["order"]["status"] == "shipped"
    assert "tracking number" in signed_in.result["summary"]
    assert "email" not in signed_in.result["order"]  # never echo the proof back

    anonymous = await tools.call(
        "get_order_status", {"order_id": "bs-100003", "email": "Ava.Thompson@example.com"}
    )
    assert anonymous.result["ok"] is True
    assert anonymous.state["verified_orders"] == ["BS-100003"]


@pytest.mark.parametrize(
    ("args", "customer", "refusal"),
    [
        ({"order_id": "BS-100003"}, "C0002", "different account"),
        ({"order_id": "BS-100003"}, None, "email address used for this order"),
        ({"order_id": "BS-100003", "email": "ben.okafor@example.com"}, None, "email address"),
        ({"order_id": "BS-999999"}, "C0001", "No order BS-999999"),
    ],
)
async def test_order_status_refusals(backend, args, customer, refusal) -> None:
    outcome = await Tools(backend).call("get_order_status", args, customer=customer)
    assert outcome.result["ok"] is False
    assert refusal in outcome.result["refusal"]
    assert "order" not in outcome.result


async def test_recent_orders_need_a_signed_in_customer(backend) -> None:
    tools = Tools(backend)
    mine = await tools.call("list_recent_orders", {}, customer="C0001")
    assert len(mine.result["orders"]) == 5
    assert all(o["id"].startswith("BS-") for o in mine.result["orders"])
    anonymous = await tools.call("list_recent_orders", {})
    assert "not signed in" in anonymous.result["refusal"]


async def test_cancel_asks_first_and_changes_the_order_once_approved(fresh_backend) -> None:
    tools = Tools(fresh_backend)
    outcome = await tools.call(
        "cancel_order", {"order_id": "BS-100002"}, customer="C0001", approve=True
    )
    assert outcome.confirmation is not None
    assert outcome.confirmation["kind"] == "confirm"
    assert outcome.confirmation["action"] == "cancel_order"
    assert "Cancel order BS-100002" in outcome.confirmation["summary"]
    assert outcome.result == {
        "ok": True,
        "order_id": "BS-100002",
        "status": "cancelled",
        "was": "processing",
        "summary": "Order BS-100002 is now cancelled. A confirmation email is on its way.",
    }
    assert _status(fresh_backend, "BS-100002") == "cancelled"
    assert (
        _count(fresh_backend, schema.interactions, schema.interactions.c.customer_id == "C0001")
        == 1
    )


async def test_declining_a_cancel_changes_nothing(fresh_backend) -> None:
    outcome = await Tools(fresh_backend).call(
        "cancel_order", {"order_id": "BS-100001"}, customer="C0001", approve=False
    )
    assert outcome.result["declined"] is True
    assert _status(fresh_backend, "BS-100001") == "pending"
    assert _interactions(fresh_backend) == 0


@pytest.mark.parametrize(
    ("order_id", "reason"),
    [
        ("BS-100003", "it has shipped"),
        ("BS-100004", "out for delivery"),
        ("BS-100005", "start a return"),
        ("BS-100006", "already cancelled"),
        ("BS-100007", "already returned"),
    ],
)
async def test_cancel_refuses_in_the_wrong_state(fresh_backend, order_id, reason) -> None:
    before = _status(fresh_backend, order_id)
    outcome = await Tools(fresh_backend).call(
        "cancel_order", {"order_id": order_id}, customer="C0001"
    )
    assert outcome.confirmation is None  # nothing to confirm: refused before asking
    assert reason in outcome.result["refusal"]
    assert _status(fresh_backend, order_id) == before


async def test_cancel_refuses_someone_elses_order(fresh_backend) -> None:
    outcome = await Tools(fresh_backend).call(
        "cancel_order", {"order_id": "BS-100002"}, customer="C0002"
    )
    assert "different account" in outcome.result["refusal"]
    assert _status(fresh_backend, "BS-100002") == "processing"
    assert _interactions(fresh_backend) == 0


async def test_anonymous_cancel_needs_the_email_or_an_earlier_verification(fresh_backend) -> None:
    tools = Tools(fresh_backend)
    refused = await tools.call("cancel_order", {"order_id": "BS-100002"})
    assert "email address" in refused.result["refusal"]
    approved = await tools.call(
        "cancel_order", {"order_id": "BS-100002"}, verified=["BS-100002"], approve=True
    )
    assert approved.result["status"] == "cancelled"


async def test_an_action_runs_once_per_call_id(fresh_backend) -> None:
    """A resumed or retried call with the same id replays its result."""
    first = fresh_backend.cancel_order("BS-100002", customer_id="C0001", action_id="t:1")
    again = fresh_backend.cancel_order("BS-100002", customer_id="C0001", action_id="t:1")
    assert again == {**first, "replayed": True}
    assert _interactions(fresh_backend) == 1


async def test_return_within_the_window_with_review_above_the_limit(fresh_backend) -> None:
    outcome = await Tools(fresh_backend).call(
        "start_return",
        {"order_id": "BS-101203", "reason": "changed_mind"},
        customer="C0001",
        approve=True,
    )
    summary = outcome.confirmation["summary"]
    assert "25 USD collection fee" in summary  # a refrigerator returned for no fault
    assert "support specialist approves it" in summary
    order = fresh_backend.get_order("BS-101203")
    assert outcome.result["refund_amount"] == round(order["total"] - 25, 2)
    assert outcome.result["refund_status"] == "needs_review"
    assert order["returns"][0]["id"] == outcome.result["return_id"]


async def test_return_of_a_wrong_item_is_free_and_auto_approved(fresh_backend) -> None:
    outcome = await Tools(fresh_backend).call(
        "start_return",
        {"order_id": "BS-101202", "reason": "wrong_item"},
        customer="C0001",
        approve=True,
    )
    order = fresh_backend.get_order("BS-101202")
    assert outcome.result["refund_amount"] == order["total"]
    assert outcome.result["collection_fee"] == 0
    assert outcome.result["refund_status"] == "auto_approved"


@pytest.mark.parametrize(
    ("order_id", "customer", "reason", "refusal"),
    [
        ("BS-101201", "C0001", "faulty", "outside the return window"),
        ("BS-101202", "C0001", "changed_mind", "final-sale"),
        ("BS-101204", "C0002", "changed_mind", "installed large appliance"),
        ("BS-100003", "C0001", "faulty", "only be started after delivery"),
        ("BS-100007", "C0001", "faulty", "already been started"),
        ("BS-100005", "C0002", "faulty", "different account"),
    ],
)
async def test_return_refusals(fresh_backend, order_id, customer, reason, refusal) -> None:
    before = _count(fresh_backend, schema.returns)
    outcome = await Tools(fresh_backend).call(
        "start_return", {"order_id": order_id, "reason": reason}, customer=customer
    )
    assert refusal in outcome.result["refusal"]
    assert _count(fresh_backend, schema.returns) == before


async def test_an_installed_appliance_that_is_faulty_can_go_back(fresh_backend) -> None:
    outcome = await Tools(fresh_backend).call(
        "start_return",
        {"order_id": "BS-101204", "reason": "faulty"},
        customer="C0002",
        approve=True,
    )
    assert outcome.result["ok"] is True and outcome.result["collection_fee"] == 0


# -- CRM ----------------------------------------------------------------------


async def test_profile_and_tickets_of_the_signed_in_customer(backend) -> None:
    tools = Tools(backend)
    profile = await tools.call("get_customer_profile", {}, customer="C0001")
    assert profile.result["profile"]["email"] == "ava.thompson@example.com"
    tickets = await tools.call("get_ticket_status", {}, customer="C0001")
    assert tickets.result["tickets"] and all(
        t["id"].startswith("T-") for t in tickets.result["tickets"]
    )
    one = await tools.call("get_ticket_status", {"ticket_id": "t-5001"}, customer="C0001")
    assert one.result["ticket"]["comments"][0]["author"] == "customer"
    assert (await tools.call("get_customer_profile", {})).result["ok"] is False


async def test_someone_elses_ticket_is_not_shown(backend) -> None:
    outcome = await Tools(backend).call(
        "get_ticket_status", {"ticket_id": "T-5001"}, customer="C0002"
    )
    assert "No ticket T-5001" in outcome.result["refusal"]


async def test_contact_preferences_change_only_after_confirmation(fresh_backend) -> None:
    tools = Tools(fresh_backend)
    declined = await tools.call(
        "update_contact_preferences", {"channels": ["sms"]}, customer="C0003", approve=False
    )
    assert declined.result["declined"] is True
    before = fresh_backend.get_customer("C0003")["contact_preference"]
    done = await tools.call(
        "update_contact_preferences",
        {"channels": ["sms", "email"], "phone": "+1-555-010-2030"},
        customer="C0003",
        approve=True,
    )
    assert "email, sms" in done.confirmation["summary"]
    profile = fresh_backend.get_customer("C0003")
    assert profile["contact_preference"] == "email,sms" != before
    assert profile["phone"] == "+1-555-010-2030"


@pytest.mark.parametrize(
    ("args", "customer", "refusal"),
    [
        ({"channels": ["sms"]}, None, "not signed in"),
        ({"channels": []}, "C0001", "At least one"),
        ({"channels": ["phone"], "phone": "call me"}, "C0001", "doesn't look like"),
    ],
)
async def test_contact_preference_refusals(fresh_backend, args, customer, refusal) -> None:
    outcome = await Tools(fresh_backend).call("update_contact_preferences", args, customer=customer)
    assert refusal in outcome.result["refusal"]
    assert _interactions(fresh_backend) == 0


async def test_open_ticket_records_the_description(fresh_backend) -> None:
    outcome = await Tools(fresh_backend).call(
        "open_ticket",
        {
            "subject": "Scratched floor",
            "description": "The installer scratched my floor.",
            "order_id": "BS-100005",
        },
        customer="C0001",
        approve=True,
        before=[HumanMessage("The installer of BS-100005 scratched my floor")],
    )
    ticket = fresh_backend.get_ticket(outcome.result["ticket_id"])
    assert ticket["customer_id"] == "C0001" and ticket["order_id"] == "BS-100005"
    assert ticket["comments"] == [
        {
            "author": "customer",
            "body": "The installer scratched my floor.",
            "created_at": ticket["created_at"],
        }
    ]


async def test_open_ticket_refuses_someone_elses_order(fresh_backend) -> None:
    before = _count(fresh_backend, schema.tickets)
    outcome = await Tools(fresh_backend).call(
        "open_ticket",
        {"subject": "Broken", "description": "Broken.", "order_id": "BS-100005"},
        customer="C0002",
        before=[HumanMessage("BS-100005 arrived broken")],
    )
    assert "No order BS-100005" in outcome.result["refusal"]
    assert _count(fresh_backend, schema.tickets) == before


async def test_open_ticket_drops_an_order_nobody_mentioned(fresh_backend) -> None:
    """The local model copies the docstring's example id; the ticket is opened without it."""
    outcome = await Tools(fresh_backend).call(
        "open_ticket",
        {"subject": "Scratch", "description": "A scratch on my floor.", "order_id": "BS-100123"},
        customer="C0002",
        approve=True,
        before=[HumanMessage("The installer left a huge scratch on my floor.")],
    )
    assert "order" not in outcome.confirmation["summary"]
    assert fresh_backend.get_ticket(outcome.result["ticket_id"])["order_id"] is None


async def test_a_copied_example_subject_is_replaced_by_the_customers_words(
    fresh_backend,
) -> None:
    outcome = await Tools(fresh_backend).call(
        "open_ticket",
        {"subject": "Dent on fridge door", "description": "The door seal is torn."},
        customer="C0002",
        approve=True,
        before=[HumanMessage("The door seal on my dishwasher is torn")],
    )
    assert fresh_backend.get_ticket(outcome.result["ticket_id"])["subject"] == (
        "The door seal is torn"
    )


# -- appointments ---------------------------------------------------------------


async def _offered(
    tools: Tools, kind: str = "installation", earliest: date | None = None
) -> tuple[list[dict], ToolMessage]:
    args = {"kind": kind} | ({"earliest_date": earliest.isoformat()} if earliest else {})
    found = await tools.call("find_appointment_slots", args)
    message = found.state["messages"][-1]
    return found.result["slots"], message


async def test_find_slots_and_their_refusals(backend) -> None:
    tools = Tools(backend)
    slots, _ = await _offered(tools, "repair")
    assert len(slots) == 5 and all(s["kind"] == "repair" for s in slots)
    assert slots == sorted(slots, key=lambda s: s["starts_at"])
    assert (
        "1) " in (await tools.call("find_appointment_slots", {"kind": "repair"})).result["summary"]
    )
    far = (datetime.now() + timedelta(days=45)).date().isoformat()
    assert (
        "30 days ahead"
        in (await tools.call("find_appointment_slots", {"earliest_date": far})).result["refusal"]
    )
    assert (
        "2026-12-01"
        in (await tools.call("find_appointment_slots", {"earliest_date": "next week"})).result[
            "refusal"
        ]
    )


def test_slot_choices_resolve_against_what_was_offered() -> None:
    offered = [
        {"id": "S-20261124-08-TECH01", "starts_at": "2026-11-24T08:00"},  # Tuesday
        {"id": "S-20261124-14-TECH02", "starts_at": "2026-11-24T14:00"},
        {"id": "S-20261126-10-TECH01", "starts_at": "2026-11-26T10:00"},  # Thursday
    ]
    assert resolve_slot("the second one", offered) == "S-20261124-14-TECH02"
    assert resolve_slot("3", offered) == "S-20261126-10-TECH01"
    assert resolve_slot("Thursday please", offered) == "S-20261126-10-TECH01"
    assert resolve_slot("tuesday at 2pm", offered) == "S-20261124-14-TECH02"
    assert resolve_slot("s-20261124-08-tech01", []) == "S-20261124-08-TECH01"
    assert resolve_slot("Tuesday", offered) is None  # two on Tuesday: ask
    assert resolve_slot("whenever", offered) is None


async def test_booking_a_chosen_slot(fresh_backend) -> None:
    tools = Tools(fresh_backend)
    slots, offered = await _offered(tools)
    outcome = await tools.call(
        "book_appointment",
        {"slot": "the second one"},
        customer="C0003",
        before=[offered],
        approve=True,
    )
    assert slots[1]["technician"] in outcome.confirmation["summary"]
    assert outcome.result["slot_id"] == slots[1]["id"]
    assert fresh_backend.get_slot(slots[1]["id"])["booked_by"] == "C0003"
    bookings = fresh_backend.list_bookings("C0003", datetime.now())
    assert [b["id"] for b in bookings] == [outcome.result["booking_id"]]


async def test_a_taken_slot_is_refused(fresh_backend) -> None:
    with fresh_backend.engine.connect() as conn:
        sl = schema.appointment_slots
        taken = conn.execute(
            select(sl.c.id, sl.c.booked_by).where(
                sl.c.booked_by.is_not(None), sl.c.starts_at > datetime.now()
            )
        ).first()
    outcome = await Tools(fresh_backend).call(
        "book_appointment", {"slot": taken.id}, customer="C0003"
    )
    assert "just been taken" in outcome.result["refusal"]
    assert fresh_backend.get_slot(taken.id)["booked_by"] == taken.booked_by


async def test_a_slot_taken_between_the_offer_and_the_confirmation(fresh_backend) -> None:
    """Two customers confirm the same slot: the store books it once."""
    slots, _ = await _offered(Tools(fresh_backend))
    slot_id, now = slots[0]["id"], datetime.now()
    first = fresh_backend.book_slot(
        "C0003", slot_id=slot_id, order_id=None, now=now, action_id="a:1"
    )
    with pytest.raises(Exception, match="just been taken"):
        fresh_backend.book_slot("C0004", slot_id=slot_id, order_id=None, now=now, action_id="b:1")
    assert first["slot_id"] == slot_id
    assert _count(fresh_backend, schema.bookings, schema.bookings.c.slot_id == slot_id) == 1


async def test_booking_needs_a_signed_in_customer_and_an_offer(fresh_backend) -> None:
    tools = Tools(fresh_backend)
    assert (
        "sign in" in (await tools.call("book_appointment", {"slot": "the first"})).result["refusal"]
    )
    refused = await tools.call("book_appointment", {"slot": "the first"}, customer="C0003")
    assert "find free slots first" in refused.result["refusal"]


async def test_list_reschedule_and_cancel_a_visit(fresh_backend) -> None:
    tools = Tools(fresh_backend)
    listed = await tools.call("list_appointments", {}, customer="C0001")
    [booking] = listed.result["appointments"]
    assert booking["id"] == "B-3002" and booking["kind"] == "installation"

    # Three days out, so cancelling the new slot is free whatever the time of day.
    slots, offered = await _offered(tools, earliest=date.today() + timedelta(days=3))
    moved = await tools.call(
        "reschedule_appointment",
        {"slot": slots[0]["id"]},
        customer="C0001",
        before=[offered],
        approve=True,
    )
    assert "This change is free." in moved.confirmation["summary"]
    assert moved.result["fee"] == 0 and moved.result["slot_id"] == slots[0]["id"]
    assert fresh_backend.get_slot(booking["slot_id"])["booked_by"] is None  # old slot freed

    cancelled = await tools.call("cancel_appointment", {}, customer="C0001", approve=True)
    assert cancelled.result == {
        "ok": True,
        "booking_id": "B-3002",
        "status": "cancelled",
        "fee": 0.0,
        "summary": cancelled.result["summary"],
    }
    assert fresh_backend.get_slot(slots[0]["id"])["booked_by"] is None
    assert fresh_backend.list_bookings("C0001", datetime.now()) == []


async def test_a_late_cancellation_costs_the_fee(fresh_backend) -> None:
    soon = datetime.now().replace(microsecond=0) + timedelta(hours=3)
    with fresh_backend.engine.begin() as conn:
        conn.execute(
            insert(schema.appointment_slots).values(
                id="S-SOON-TECH01",
                technician_id="TECH01",
                kind="repair",
                starts_at=soon,
                ends_at=soon + timedelta(hours=2),
                booked_by="C0003",
            )
        )
        conn.execute(
            insert(schema.bookings).values(
                id="B-9001",
                customer_id="C0003",
                slot_id="S-SOON-TECH01",
                kind="repair",
                status="booked",
                fee=0.0,
                created_at=datetime.now(),
            )
        )
    outcome = await Tools(fresh_backend).call(
        "cancel_appointment", {}, customer="C0003", approve=True
    )
    assert "35 USD late-change fee" in outcome.confirmation["summary"]
    assert outcome.result["fee"] == 35.0


async def test_someone_elses_visit_cannot_be_changed(fresh_backend) -> None:
    outcome = await Tools(fresh_backend).call(
        "cancel_appointment",
        {"booking_id": "B-3002"},
        customer="C0002",
        before=[HumanMessage("cancel appointment B-3002")],
    )
    assert "No upcoming appointment B-3002" in outcome.result["refusal"]
    assert [b["id"] for b in fresh_backend.list_bookings("C0001", datetime.now())] == ["B-3002"]


async def test_an_invented_booking_id_means_the_customers_only_visit(fresh_backend) -> None:
    """Nobody said B-3002 (it is the docstring's example): Ben's only visit is the one."""
    [visit] = fresh_backend.list_bookings("C0002", datetime.now())
    outcome = await Tools(fresh_backend).call(
        "cancel_appointment",
        {"booking_id": "B-3002"},
        customer="C0002",
        approve=False,
        before=[HumanMessage("Please cancel my repair appointment")],
    )
    assert outcome.confirmation["booking_id"] == visit["id"] != "B-3002"
    assert [b["id"] for b in fresh_backend.list_bookings("C0002", datetime.now())] == [visit["id"]]
    assert [b["id"] for b in fresh_backend.list_bookings("C0001", datetime.now())] == ["B-3002"]


# -- recommendations ------------------------------------------------------------


async def test_recommendations_fit_the_need_budget_and_history(backend, recommender) -> None:
    tools = Tools(backend, recommender)
    outcome = await tools.call(
        "recommend_products",
        {"need": "a quiet dishwasher", "category": "dishwashers", "max_price": 900},
        customer="C0001",
    )
    products = outcome.result["products"]
    assert 1 <= len(products) <= 3
    assert all(p["category"] == "dishwasher" and p["price"] <= 900 for p in products)
    assert not {p["id"] for p in products} & backend.purchased_product_ids("C0001")
    assert products == sorted(products, key=lambda p: -p["score"])

    coffee = await tools.call("recommend_products", {"need": "espresso machine with a grinder"})
    assert coffee.result["products"][0]["category"] == "coffee_maker"
    none = await tools.call(
        "recommend_products", {"need": "fridge", "category": "fridge", "max_price": 50}
    )
    assert "higher budget" in none.result["refusal"]


def test_every_data_changing_tool_is_marked_sensitive(backend) -> None:
    names = {t.name for ts in build_tools(Lazy.of(backend), Lazy.of(None)).values() for t in ts}
    assert SENSITIVE_TOOLS <= names
    assert {
        "get_order_status",
        "list_recent_orders",
        "find_appointment_slots",
    } & SENSITIVE_TOOLS == set()


async def test_an_invented_slot_id_gives_way_to_the_customers_words(fresh_backend) -> None:
    from langchain_core.messages import HumanMessage

    tools = Tools(fresh_backend)
    slots, offered = await _offered(tools)
    outcome = await tools.call(
        "book_appointment",
        {"slot": "S-20991231-12-TECH02"},  # plausible, but never offered
        customer="C0003",
        before=[offered, HumanMessage("The second one, please.")],
        approve=True,
    )
    assert outcome.result["slot_id"] == slots[1]["id"]


async def test_booking_links_only_an_order_the_customer_named(fresh_backend) -> None:
    from langchain_core.messages import HumanMessage

    tools = Tools(fresh_backend)
    _, offered = await _offered(tools)
    invented = await tools.call(
        "book_appointment",
        {"slot": "1", "order_id": "BS-100123"},  # the docstring's example, not the customer's
        customer="C0001",
        before=[HumanMessage("install please"), offered],
        approve=True,
    )
    assert invented.result["ok"] is True
    [visit] = [
        b for b in fresh_backend.list_bookings("C0001", datetime.now()) if b["id"] != "B-3002"
    ]
    assert visit["order_id"] is None
    _, offered = await _offered(tools)
    foreign = await tools.call(
        "book_appointment",
        {"slot": "1", "order_id": "BS-100012"},  # Ben's order, named by Ava
        customer="C0001",
        before=[HumanMessage("install for BS-100012"), offered],
    )
    assert "No order BS-100012" in foreign.result["refusal"]
