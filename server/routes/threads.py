"""Conversations: create, read, and send a message (answered over SSE)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any, Literal

import jwt
from fastapi import APIRouter, Header, Query, Request
from langchain_core.messages import HumanMessage
from langgraph.types import Command
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from graph.context import Context
from server.auth import token_secret, verify_customer_token
from server.deps import (
    BackendDep,
    EventsDep,
    GraphDep,
    LimiterDep,
    RunnerDep,
    SettingsDep,
    ThreadDep,
    ThreadsDep,
    client_address,
    require_triage,
)
from server.errors import ERROR_RESPONSES, ApiError
from server.events import ThreadEvents
from server.settings import Settings
from server.sse import message_view
from server.turns import TurnRunner

router = APIRouter(prefix="/v1/threads", tags=["threads"], responses=ERROR_RESPONSES)

ThreadStatus = Literal["idle", "waiting_for_customer", "waiting_for_agent"]


class ThreadCreate(BaseModel):
    """How a conversation starts: anonymous, or for a customer the site signed in."""

    customer_token: str | None = Field(
        None,
        max_length=4096,
        description="HS256 JWT whose `sub` is the customer id (see `supportgraph token`).",
    )


class Customer(BaseModel):
    """The signed-in customer of a conversation."""

    id: str
    name: str | None = None


class ThreadCreated(BaseModel):
    """A new conversation."""

    thread_id: str
    thread_token: str = Field(
        description="Send it as `Authorization: Bearer <thread_token>` on every later "
        "request about this thread (EventSource clients: `?token=`)."
    )
    customer: Customer | None = None


class ChatMessage(BaseModel):
    """A message as shown in the chat."""

    id: str | None
    role: Literal["user", "assistant", "agent"]
    content: str
    citations: list[dict[str, str]] = []
    receipts: list[dict[str, str]] = Field(
        [],
        description="What the store's systems said, word for word: `kind` done, declined, "
        "refused or order, and `text`.",
    )


class ThreadView(BaseModel):
    """A conversation: its messages and what it is waiting for."""

    thread_id: str
    status: ThreadStatus
    messages: list[ChatMessage]
    last_event_id: int = Field(
        0, description="The thread's latest event: follow /events from here to catch up."
    )
    pending: dict[str, Any] | None = Field(
        None,
        description="What the conversation waits for: a `confirm` (the customer approves "
        "an action with /resume) or a `handoff` (a person from the team replies).",
    )


class Decision(BaseModel):
    """The customer's answer to a pending confirmation."""

    approved: bool


class MessageIn(BaseModel):
    """A customer message."""

    content: str = Field(min_length=1, description="At most MAX_MESSAGE_CHARS characters.")
    client_message_id: str | None = Field(
        None, min_length=1, max_length=100, description="Client-made id of this message."
    )


def _pending(state: Any) -> dict[str, Any] | None:
    for pending in state.interrupts:
        value = pending.value if isinstance(pending.value, dict) else {"kind": "handoff"}
        return {"id": pending.id, **value}
    return None


def _status(state: Any) -> ThreadStatus:
    pending = _pending(state)
    if pending is None:
        return "idle"
    return "waiting_for_agent" if pending.get("kind") == "handoff" else "waiting_for_customer"


@router.post("", status_code=201, response_model=ThreadCreated)
async def create_thread(
    request: Request,
    threads: ThreadsDep,
    limiter: LimiterDep,
    settings: SettingsDep,
    backend: BackendDep,
    body: ThreadCreate | None = None,
) -> ThreadCreated:
    """Start a conversation, for a signed-in customer when a customer token is given."""
    await limiter.check_client(client_address(request))
    if body is None or not body.customer_token:
        thread_id, token = await threads.create()
        return ThreadCreated(thread_id=thread_id, thread_token=token)
    try:
        customer_id = verify_customer_token(token_secret(settings), body.customer_token)
    except jwt.InvalidTokenError as exc:
        raise ApiError(
            401, "invalid_customer_token", "The sign-in token is invalid or has expired."
        ) from exc
    profile = await asyncio.to_thread(backend.get_customer, customer_id) if backend else None
    if backend is not None and profile is None:
        raise ApiError(401, "invalid_customer_token", "The sign-in token names no customer.")
    thread_id, token = await threads.create(customer_id)
    return ThreadCreated(
        thread_id=thread_id,
        thread_token=token,
        customer=Customer(id=customer_id, name=profile["name"] if profile else None),
    )


@router.get("/{thread_id}", response_model=ThreadView)
async def get_thread(thread: ThreadDep, graph: GraphDep, events: EventsDep) -> ThreadView:
    """The conversation's messages and status."""
    state = await graph.aget_state({"configurable": {"thread_id": thread["thread_id"]}})
    views = [v for m in state.values.get("messages", []) if (v := message_view(m))]
    return ThreadView(
        thread_id=thread["thread_id"],
        status=_status(state),
        messages=[ChatMessage(**v) for v in views],
        last_event_id=await events.current(thread["thread_id"]),
        pending=_pending(state),
    )


@router.post(
    "/{thread_id}/messages",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def post_message(
    body: MessageIn,
    request: Request,
    thread: ThreadDep,
    graph: GraphDep,
    runner: RunnerDep,
    events: EventsDep,
    limiter: LimiterDep,
    settings: SettingsDep,
) -> EventSourceResponse:
    """Send a customer message; the answer streams back as server-sent events.

    The turn runs on even if the connection drops: follow it again with
    ``GET /v1/threads/{id}/events`` and ``Last-Event-ID``. Sending the same
    ``client_message_id`` again replays (or joins) that turn; it never runs twice.
    """
    thread_id = thread["thread_id"]
    if body.client_message_id:
        known = await runner.known(thread_id, body.client_message_id)
        if known is not None:
            return EventSourceResponse(events.follow(thread_id, known, until_done=True), ping=15)
    content = body.content.strip()
    if not content:
        raise ApiError(422, "empty_message", "The message is empty.")
    if len(content) > settings.max_message_chars:
        raise ApiError(422, "message_too_long", "The message is too long.")
    require_triage(request)
    await limiter.check_turn(thread_id, client_address(request))
    state = await graph.aget_state({"configurable": {"thread_id": thread_id}})
    pending = _pending(state)
    if pending and pending.get("kind") == "handoff":
        raise ApiError(
            409,
            "waiting_for_agent",
            "A person from our team is about to reply; please wait for their answer.",
        )
    if pending:
        raise ApiError(
            409,
            "confirmation_pending",
            "Please confirm or cancel the pending action first.",
        )
    message_id = body.client_message_id or uuid.uuid4().hex
    payload = {"messages": [HumanMessage(content=content, id=message_id)]}
    return await _stream_turn(
        thread,
        runner,
        events,
        payload,
        settings=settings,
        kind="message",
        client_message_id=body.client_message_id,
    )


@router.post(
    "/{thread_id}/resume",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def resume(
    decision: Decision,
    request: Request,
    thread: ThreadDep,
    graph: GraphDep,
    runner: RunnerDep,
    events: EventsDep,
    limiter: LimiterDep,
    settings: SettingsDep,
) -> EventSourceResponse:
    """Confirm (or decline) the pending action; the rest of the turn streams back."""
    await limiter.check_turn(thread["thread_id"], client_address(request))
    state = await graph.aget_state({"configurable": {"thread_id": thread["thread_id"]}})
    pending = _pending(state)
    if pending is None or pending.get("kind") != "confirm":
        raise ApiError(409, "nothing_to_confirm", "There is no action waiting for confirmation.")
    payload: Command[Any] = Command(resume={pending["id"]: {"approved": decision.approved}})
    return await _stream_turn(
        thread,
        runner,
        events,
        payload,
        settings=settings,
        kind="resume",
        expect_interrupt=pending["id"],
    )


@router.get(
    "/{thread_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def follow_events(
    thread: ThreadDep,
    events: EventsDep,
    last_event_id: Annotated[str | None, Header()] = None,
    last_event_id_query: Annotated[
        str | None,
        Query(alias="last_event_id", description="Same as the Last-Event-ID header."),
    ] = None,
) -> EventSourceResponse:
    """The thread's events as they happen: the rest of a turn a client lost, a person's reply.

    With ``Last-Event-ID`` (header or query) the events after it are sent first,
    exactly once; without it, only new ones. EventSource clients pass the
    thread token as ``?token=``.
    """
    raw = last_event_id or last_event_id_query
    after = int(raw) if raw and raw.isdigit() else None
    return EventSourceResponse(events.follow(thread["thread_id"], after), ping=15)


async def _stream_turn(
    thread: dict[str, Any],
    runner: TurnRunner,
    events: ThreadEvents,
    payload: Any,
    *,
    settings: Settings,
    kind: str,
    expect_interrupt: str | None = None,
    client_message_id: str | None = None,
) -> EventSourceResponse:
    """Start (or rejoin) a turn and stream its events until ``done``."""
    context = Context(
        customer_id=thread["customer_id"],
        handoff_refund_above=settings.handoff_refund_above_usd,
    )
    after = await runner.start(
        thread["thread_id"],
        payload,
        context,
        kind=kind,
        expect_interrupt=expect_interrupt,
        client_message_id=client_message_id,
    )
    return EventSourceResponse(events.follow(thread["thread_id"], after, until_done=True), ping=15)
