"""Conversations: create, read, and send a message (answered over SSE)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from graph.context import Context
from server.deps import GraphDep, SettingsDep, ThreadDep, ThreadsDep
from server.errors import ApiError
from server.sse import message_view, turn_events

router = APIRouter(prefix="/v1/threads", tags=["threads"])

ThreadStatus = Literal["idle", "waiting_for_customer", "waiting_for_agent"]


class ThreadCreated(BaseModel):
    """A new conversation."""

    thread_id: str


class ChatMessage(BaseModel):
    """A message as shown in the chat."""

    id: str | None
    role: Literal["user", "assistant", "agent"]
    content: str
    citations: list[dict[str, str]] = []


class ThreadView(BaseModel):
    """A conversation: its messages and what it is waiting for."""

    thread_id: str
    status: ThreadStatus
    messages: list[ChatMessage]


class MessageIn(BaseModel):
    """A customer message."""

    content: str = Field(min_length=1, description="At most MAX_MESSAGE_CHARS characters.")
    client_message_id: str | None = Field(
        None, min_length=1, max_length=100, description="Client-made id of this message."
    )


def _status(state: Any) -> ThreadStatus:
    for pending in state.interrupts:
        kind = pending.value.get("kind") if isinstance(pending.value, dict) else None
        return "waiting_for_agent" if kind == "handoff" else "waiting_for_customer"
    return "idle"


@router.post("", status_code=201, response_model=ThreadCreated)
async def create_thread(threads: ThreadsDep) -> ThreadCreated:
    """Start a conversation."""
    return ThreadCreated(thread_id=await threads.create())


@router.get("/{thread_id}", response_model=ThreadView)
async def get_thread(thread: ThreadDep, graph: GraphDep) -> ThreadView:
    """The conversation's messages and status."""
    state = await graph.aget_state({"configurable": {"thread_id": thread["thread_id"]}})
    views = [v for m in state.values.get("messages", []) if (v := message_view(m))]
    return ThreadView(
        thread_id=thread["thread_id"],
        status=_status(state),
        messages=[ChatMessage(**v) for v in views],
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
    if _status(state) == "waiting_for_agent":
        raise ApiError(
            409,
            "waiting_for_agent",
            "A person from our team is about to reply; please wait for their answer.",
        )
    lock = threads.lock(thread_id)
    if lock.locked():
        raise ApiError(409, "turn_in_progress", "The previous message is still being answered.")

    message_id = body.client_message_id or uuid.uuid4().hex
    payload = {"messages": [HumanMessage(content=content, id=message_id)]}
    context = Context(customer_id=thread["customer_id"])

    async def stream() -> Any:
        async with lock:
            async for event in turn_events(
                graph, thread_id=thread_id, payload=payload, context=context, message_id=message_id
            ):
                yield event

    return EventSourceResponse(stream(), ping=15)
