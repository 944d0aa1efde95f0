"""The handoff interrupt, saved in Redis and resumed by a new saver (as after a restart)."""

import uuid

from langchain_core.messages import HumanMessage
from langgraph.checkpoint.redis.aio import AsyncRedisSaver
from langgraph.types import Command

from graph import build_graph
from graph.context import Context
from tests.fakes import FakeTriage, StaticRetriever, scripted


async def test_pending_handoff_resumes_from_redis(redis_url: str, backend) -> None:
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    async with AsyncRedisSaver.from_conn_string(redis_url) as saver:
        graph = build_graph(
            model=scripted("Let me find a colleague for you."),
            retriever=StaticRetriever(),
            backend=backend,
            triager=FakeTriage(),
            checkpointer=saver,
        )
        await graph.ainvoke(
            {"messages": [HumanMessage("let me talk to a human please")]}, config, context=Context()
        )
        assert (await graph.aget_state(config)).interrupts

    async with AsyncRedisSaver.from_conn_string(redis_url) as saver:  # a fresh process's saver
        graph = build_graph(
            model=scripted(),
            retriever=StaticRetriever(),
            backend=backend,
            triager=FakeTriage(),
            checkpointer=saver,
        )
        (pending,) = (await graph.aget_state(config)).interrupts
        assert pending.value["reason"] == "customer_request"
        assert pending.value["suggested_reply"] == "Let me find a colleague for you."
        await graph.ainvoke(
            Command(
                resume={
                    "action": "respond",
                    "message": "Hi, this is Sam from Brightside.",
                    "agent": "sam",
                }
            ),
            config,
            context=Context(),
        )
        state = await graph.aget_state(config)
        assert state.interrupts == ()
        assert state.values["messages"][-1].content == "Hi, this is Sam from Brightside."
        assert state.values["messages"][-1].name == "human_agent"
