"""Conversations: create, read, and send a message (answered over SSE)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any, Literal

import jwt
from fastapi import APIRouter, Header, Request
from langchain_core.messages import HumanMessage
from langgraph.types import Command
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from graph.context import Context
from server.agents import HandoffQueue
from server.auth import token_secret, verify_customer_token
from server.deps import (
    BackendDep,
    EventsDep,
    GraphDep,
    HandoffsDep,
    SettingsDep,
    ThreadDep,
    ThreadsDep,
)
from server.errors import ApiError
from server.settings import Settings
from server.sse import message_view, turn_events
from server.threads import ThreadStore

router = APIRouter(prefix="/v1/threads", tags=["threads"])

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
    threads: ThreadsDep,
    settings: SettingsDep,
    backend: BackendDep,
    body: ThreadCreate | None = None,
) -> ThreadCreated:
    """Start a conversation, for a signed-in customer when a customer token is given."""
    if body is None or not body.customer_token:
        return ThreadCreated(thread_id=await threads.create())
    try:
        customer_id = verify_customer_token(token_secret(settings), body.customer_token)
    except jwt.InvalidTokenError as exc:
        raise ApiError(
            401, "invalid_customer_token", "The sign-in token is invalid or has expired."
        ) from exc
    profile = await asyncio.to_thread(backend.get_customer, customer_id) if backend else None
    if backend is not None and profile is None:
        raise ApiError(401, "invalid_customer_token", "The sign-in token names no customer.")
    return ThreadCreated(
        thread_id=await threads.create(customer_id),
        customer=Customer(id=customer_id, name=profile["name"] if profile else None),
    )


@router.get("/{thread_id}", response_model=ThreadView)
async def get_thread(thread: ThreadDep, graph: GraphDep) -> ThreadView:
    """The conversation's messages and status."""
    state = await graph.aget_state({"configurable": {"thread_id": thread["thread_id"]}})
    views = [v for m in state.values.get("messages", []) if (v := message_view(m))]
    return ThreadView(
        thread_id=thread["thread_id"],
        status=_status(state),
        messages=[ChatMessage(**v) for v in views],
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
    threads: ThreadsDep,
    settings: SettingsDep,
    handoffs: HandoffsDep,
) -> EventSourceResponse:
    """Send a customer message; the answer streams back as server-sent events."""
    content = body.content.strip()
    if not content:
        raise ApiError(422, "empty_message", "The message is empty.")
    if len(content) > settings.max_message_chars:
        raise ApiError(422, "message_too_long", "The message is too long.")
    thread_id = thread["thread_id"]
    config = {"configurable": {"thread_id": thread_id}}
    state = await graph.aget_state(config)
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
    return _stream_turn(thread, graph, threads, payload, handoffs=handoffs, settings=settings)


@router.post(
    "/{thread_id}/resume",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def resume(
    decision: Decision,
    thread: ThreadDep,
    graph: GraphDep,
    threads: ThreadsDep,
    handoffs: HandoffsDep,
    settings: SettingsDep,
) -> EventSourceResponse:
    """Confirm (or decline) the pending action; the rest of the turn streams back."""
    state = await graph.aget_state({"configurable": {"thread_id": thread["thread_id"]}})
    pending = _pending(state)
    if pending is None or pending.get("kind") != "confirm":
        raise ApiError(409, "nothing_to_confirm", "There is no action waiting for confirmation.")
    payload: Command[Any] = Command(resume={pending["id"]: {"approved": decision.approved}})
    return _stream_turn(
        thread,
        graph,
        threads,
        payload,
        handoffs=handoffs,
        settings=settings,
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
) -> EventSourceResponse:
    """Replies that arrive outside a turn (a person's answer), live.

    With ``Last-Event-ID`` the events after it are sent first.
    """
    after = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    return EventSourceResponse(events.follow(thread["thread_id"], after), ping=15)


def _stream_turn(
    thread: dict[str, Any],
    graph: Any,
    threads: ThreadStore,
    payload: Any,
    *,
    handoffs: HandoffQueue,
    settings: Settings,
    expect_interrupt: str | None = None,
) -> EventSourceResponse:
    """Run one turn (a message or a resume) while holding the thread's lock."""
    thread_id = thread["thread_id"]
    lock = threads.lock(thread_id)
    if lock.locked():
        raise ApiError(409, "turn_in_progress", "The previous message is still being answered.")
    context = Context(
        customer_id=thread["customer_id"],
        handoff_refund_above=settings.handoff_refund_above_usd,
    )

    async def stream() -> Any:
        async with lock:
            async for event in turn_events(
                graph,
                thread_id=thread_id,
                payload=payload,
                context=context,
                expect_interrupt=expect_interrupt,
                on_handoff=handoffs.register,
            ):
                yield event

    return EventSourceResponse(stream(), ping=15)
