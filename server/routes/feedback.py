"""Customers' scores of the answers they got (👍 / 👎), kept and sent to LangSmith."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, Field

from server.deps import FeedbackDep, GraphDep, LangSmithDep, ThreadDep, ThreadsDep
from server.errors import ERROR_RESPONSES, ApiError
from server.sse import message_view

router = APIRouter(prefix="/v1/threads", tags=["feedback"], responses=ERROR_RESPONSES)


class FeedbackIn(BaseModel):
    """The customer's score of one answer."""

    score: Literal[1, -1] = Field(description="1: helpful, -1: not helpful.")
    comment: str | None = Field(None, max_length=1000, description="What was good or missing.")


class FeedbackOut(BaseModel):
    """The score as kept: one per message, the latest replaces the earlier."""

    id: int
    score: Literal[1, -1]


@router.post(
    "/{thread_id}/messages/{message_id}/feedback", status_code=201, response_model=FeedbackOut
)
async def give_feedback(
    message_id: str,
    body: FeedbackIn,
    thread: ThreadDep,
    graph: GraphDep,
    threads: ThreadsDep,
    feedback: FeedbackDep,
    langsmith: LangSmithDep,
    background: BackgroundTasks,
) -> FeedbackOut:
    """Score an answer of the assistant (or of a person from the team).

    Sending a score again for the same message replaces the earlier one. With
    LangSmith tracing on, the score also goes to the answer's run as
    ``user_score`` (1.0 or 0.0), after the response.
    """
    thread_id = thread["thread_id"]
    state = await graph.aget_state({"configurable": {"thread_id": thread_id}})
    answers = {
        v["id"]
        for m in state.values.get("messages", [])
        if (v := message_view(m)) and v["role"] != "user"
    }
    if message_id not in answers:
        raise ApiError(404, "message_not_found", "No such answer in this conversation.")
    comment = (body.comment or "").strip() or None
    run_id = await threads.run_of(thread_id, message_id)
    saved = await asyncio.to_thread(
        feedback.record,
        thread_id=thread_id,
        message_id=message_id,
        score=body.score,
        comment=comment,
        run_id=run_id,
    )
    if langsmith is not None and run_id is not None:
        background.add_task(
            langsmith.send,
            thread_id=thread_id,
            message_id=message_id,
            run_id=run_id,
            score=body.score,
            comment=comment,
            replaced=saved["replaced"],
        )
    return FeedbackOut(id=saved["id"], score=body.score)
