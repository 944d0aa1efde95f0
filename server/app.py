"""``create_app``: the FastAPI application and its lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.redis.aio import AsyncRedisSaver
from langsmith import Client
from prometheus_client import CONTENT_TYPE_LATEST
from redis.asyncio import Redis

from graph import build_graph
from graph.llm import load_chat_model
from graph.resources import Lazy
from server.agents import HandoffQueue, load_agents
from server.embedded_redis import EmbeddedRedis
from server.errors import install_error_handlers
from server.events import ThreadEvents
from server.limits import RateLimiter
from server.metrics import Metrics
from server.middleware import install_middleware
from server.routes import feedback, handoffs, health, threads
from server.settings import Settings, get_settings
from server.threads import ThreadStore
from server.tracing import LangSmithFeedback, langsmith_client, tracing_enabled
from server.turns import TurnRunner
from store.audit import AuditLog
from store.backend import SqlStoreBackend, StoreBackend
from store.catalog import ProductIndex
from store.feedback import FeedbackLog
from store.knowledge import KnowledgeBase, Retriever
from store.seed import needs_seed, seed
from triage import ModelTriage, Triager, load_or_train, training_reason

log = logging.getLogger("supportgraph")


def _log_training_end(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    if task.exception() is not None:
        log.error("training the triage model failed", exc_info=task.exception())
    else:
        log.info("the triage model is ready: SupportGraph takes messages now")


UI_DIR = Path(__file__).resolve().parents[1] / "ui"


def create_app(
    settings: Settings | None = None,
    *,
    graph: Any = None,
    model: BaseChatModel | None = None,
    retriever: Retriever | None = None,
    backend: StoreBackend | None = None,
    triager: Triager | None = None,
    langsmith: Callable[[], Client] | None = None,
) -> FastAPI:
    """Create the app; parts not given are opened from settings in the lifespan.

    A compiled ``graph`` is used as it is; otherwise the graph is built over the
    given (or configured) model, retriever and backend with the Redis saver.
    ``langsmith`` makes the LangSmith client that customers' scores are sent
    with (on first use, only when tracing is on); by default one from settings.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            redis_url = settings.redis_url
            if not redis_url:
                embedded = EmbeddedRedis(settings.data_dir / "redis")
                redis_url = await asyncio.to_thread(embedded.start)
                stack.callback(embedded.stop)
                log.info("embedded Redis on %s", redis_url)
            ttl = {"default_ttl": settings.checkpoint_ttl_minutes, "refresh_on_read": True}
            saver = await stack.enter_async_context(
                AsyncRedisSaver.from_conn_string(redis_url, ttl=ttl)
            )
            app.state.redis = Redis.from_url(redis_url, decode_responses=True)
            stack.push_async_callback(app.state.redis.aclose)
            app.state.threads = ThreadStore(app.state.redis, settings.checkpoint_ttl_minutes * 60)
            app.state.handoffs = HandoffQueue(app.state.redis)
            app.state.events = ThreadEvents(app.state.redis)
            app.state.agents = load_agents(settings)
            app.state.limiter = RateLimiter(
                app.state.redis,
                per_thread=settings.rate_limit_per_thread,
                per_client=settings.rate_limit_per_client,
            )
            app.state.model = model
            app.state.backend = backend
            engine = (
                backend.engine
                if isinstance(backend, SqlStoreBackend)
                else SqlStoreBackend.from_url(settings.resolved_database_url).engine
            )
            app.state.audit = await asyncio.to_thread(AuditLog, engine)
            app.state.feedback = await asyncio.to_thread(FeedbackLog, engine)
            app.state.langsmith = (
                LangSmithFeedback(langsmith or langsmith_client(settings))
                if tracing_enabled(settings)
                else None
            )
            if graph is not None:
                app.state.graph = graph
            else:
                app.state.graph = await _build(app, stack, saver)
            app.state.runner = TurnRunner(
                app.state.graph,
                app.state.redis,
                app.state.threads,
                app.state.events,
                app.state.handoffs,
                app.state.metrics,
            )
            stack.push_async_callback(app.state.runner.close)
            if app.state.triage_training is None:
                log.info("SupportGraph is ready on http://%s:%s", settings.host, settings.port)
            else:
                log.info(
                    "SupportGraph is up on http://%s:%s; it takes messages once the triage "
                    "model is trained (see /readyz)",
                    settings.host,
                    settings.port,
                )
            yield

    async def _build(app: FastAPI, stack: AsyncExitStack, saver: AsyncRedisSaver) -> Any:
        store = backend
        if store is None:
            sql = SqlStoreBackend.from_url(settings.resolved_database_url)
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            if await asyncio.to_thread(needs_seed, sql.engine):
                counts = await asyncio.to_thread(seed, sql.engine)
                log.info("seeded the demo store: %s", counts)
            store = sql
        app.state.backend = store
        kb = retriever
        if kb is None:
            opened = await asyncio.to_thread(
                KnowledgeBase.open, path=settings.qdrant_path, url=settings.qdrant_url
            )
            stack.callback(opened.close)
            stats = await asyncio.to_thread(opened.ingest, settings.helpcentre_dir)
            log.info("help centre in Qdrant: %s", stats)
            kb = opened
        chat = model
        if chat is None:
            chat = load_chat_model(
                settings.llm,
                base_url=settings.llm_base_url,
                api_key=settings.openai_api_key.get_secret_value()
                if settings.openai_api_key
                else None,
                models_dir=settings.data_dir / "models",
                temperature=settings.llm_temperature,
                max_tokens=settings.llm_max_tokens,
            )
            if hasattr(chat, "load"):
                await asyncio.to_thread(chat.load)
        app.state.model = chat
        triage: Triager | Lazy[Triager] | None = triager
        if triage is None:
            triage = await _triager(app, stack)
        return build_graph(
            model=chat,
            retriever=kb,
            backend=store,
            triager=triage,
            recommender=ProductIndex(store, kb.embedder) if isinstance(kb, KnowledgeBase) else None,
            checkpointer=saver,
        )

    async def _triager(app: FastAPI, stack: AsyncExitStack) -> Triager | Lazy[Triager]:
        """The triage model; one that must be trained first is trained in the background.

        Training takes minutes, so the server starts without waiting for it: `/readyz`
        says ``training`` and turns are refused with 503 ``starting`` until it is done.
        """
        directory = settings.triage_model_dir
        reason = await asyncio.to_thread(training_reason, directory)
        if reason is None:
            return await asyncio.to_thread(ModelTriage.load, directory)
        lazy: Lazy[Triager] = Lazy(lambda: load_or_train(directory))
        task = asyncio.create_task(lazy.aget())
        task.add_done_callback(_log_training_end)
        app.state.triage_training = task
        stack.callback(task.cancel)
        return lazy

    app = FastAPI(title="SupportGraph", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.triage_training = None
    install_error_handlers(app)
    install_middleware(app, settings)
    app.include_router(health.router)
    app.include_router(threads.router)
    app.include_router(feedback.router)
    app.include_router(handoffs.router)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    app.mount("/ui", StaticFiles(directory=UI_DIR), name="ui")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(UI_DIR / "index.html")

    return app
