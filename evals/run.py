"""Run the evaluation suites against a model and write a report.

    supportgraph eval [--suite routing,conversations,safety,retrieval] [--model scripted]
                      [--prompt system_prompt=FILE] [--out DIR] [--baseline FILE]

Suites: ``routing`` (triage alone: intent and route of each utterance),
``conversations`` (multi-turn scenarios through the whole graph: tool trajectory,
arguments, interrupts, facts, citations, groundedness, latency), ``safety``
(emergencies, prompt injection, other customers' data, abuse) and ``retrieval``
(the knowledge-base set). ``--model scripted`` is the deterministic stand-in that
fills forced tool arguments and repeats the facts; ``local`` (the default) or any
``provider:model`` runs a real model. The report (JSON + Markdown) is compared with
a baseline when one is given.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from evals import evaluators as ev
from evals import experiments

DATASETS = Path(__file__).resolve().parent / "datasets"
SUITES = ("routing", "conversations", "safety", "retrieval")
HIGHER_IS_WORSE = {"latency_s_per_turn", "latency_ms_p95"}
RETRIEVAL_METRICS = {
    "recall@1": "answerable",
    "recall@3": "answerable",
    "mrr@10": "answerable",
    "answerable_not_declined": "answerable",
    "unanswerable_declined": "unanswerable",
}
"""Each retrieval metric and the count it is over."""


def load(name: str) -> list[dict[str, Any]]:
    """A dataset of ``evals/datasets`` by name."""
    path = DATASETS / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def summarise(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean score and count per evaluator key."""
    by_key: dict[str, list[float]] = defaultdict(list)
    for result in results:
        by_key[result["key"]].append(float(result["score"]))
    return {k: {"score": round(statistics.fmean(v), 4), "n": len(v)} for k, v in by_key.items()}


# -- routing -----------------------------------------------------------------------


def route_one(triager: Any, example: dict[str, Any]) -> dict[str, Any]:
    """Triage one utterance: its intent, route and the time triage took."""
    from graph.routing import route_after_triage

    started = time.perf_counter()
    triage = triager.triage(example["text"])
    latency_ms = (time.perf_counter() - started) * 1000
    route = route_after_triage({"triage": triage})  # type: ignore[typeddict-item]
    return {"intent": triage["intent"], "route": route, "latency_ms": latency_ms}


def score_routing(run: dict[str, Any], example: dict[str, Any]) -> list[dict[str, Any]]:
    """The routing evaluators' scores of one utterance."""
    return [r for evaluator in ev.ROUTING_EVALUATORS if (r := evaluator(run, example))]


def summarise_routing(rows: list[dict[str, Any]], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy, p95 triage time, and the utterances routed wrong."""
    results, failures = [], []
    for row, run in zip(rows, runs, strict=True):
        scores = score_routing(run, row)
        results += scores
        if any(s["score"] < 1 for s in scores):
            failures.append({"text": row["text"], "expected": row, "got": run})
    summary = summarise(results)
    timings = sorted(run["latency_ms"] for run in runs)
    summary["latency_ms_p95"] = {
        "score": round(timings[int(0.95 * (len(timings) - 1))], 2),
        "n": len(timings),
    }
    return {"summary": summary, "failures": failures[:25]}


# -- retrieval ---------------------------------------------------------------------


class _Hits:
    """The hits of one search, replayed to ``evals.retrieval.evaluate``."""

    def __init__(self, hits: list[dict[str, Any]]) -> None:
        self.hits = hits

    def search(self, query: str, k: int = 10) -> list[dict[str, Any]]:
        return self.hits[:k]


def score_retrieval(
    run: dict[str, Any], example: dict[str, Any], min_score: float
) -> list[dict[str, Any]]:
    """recall@1/@3, MRR@10 and declines of one question, from its hits."""
    from evals.retrieval import evaluate as evaluate_retrieval

    figures = evaluate_retrieval(_Hits(run["hits"]), [example], min_score)
    return [
        {"key": key, "score": figures[key]}
        for key in RETRIEVAL_METRICS
        if figures.get(key) is not None
    ]


# -- conversations and safety --------------------------------------------------------


async def run_example(
    graph: Any, example: dict[str, Any], context_fields: dict[str, Any]
) -> dict[str, Any]:
    """Play one scenario through the graph, answering confirmations as the example says."""
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
    from langgraph.types import Command

    from graph.context import Context
    from graph.routing import route_after_triage

    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    context = Context(customer_id=example.get("customer_id"), **context_fields)
    run: dict[str, Any] = {
        "tools": [], "calls": [], "interrupts": [], "replies": [], "facts": [],
        "citations": [], "passages_used": False, "route": None, "intent": None,
    }  # fmt: skip
    seen, turn_times = 0, []
    for turn in example["turns"]:
        started = time.perf_counter()
        payload: Any = {"messages": [HumanMessage(turn["say"])]}
        stop = False
        while True:
            state = await graph.ainvoke(payload, config, context=context)
            messages = state["messages"]
            for message in messages[seen:]:
                if isinstance(message, AIMessage) and message.tool_calls:
                    for call in message.tool_calls:
                        run["tools"].append(call["name"])
                        run["calls"].append({"name": call["name"], "args": call["args"]})
                elif isinstance(message, ToolMessage):
                    run["facts"].append(str(message.content))
                    ok = '"ok": true' in str(message.content)
                    for call in reversed(run["calls"]):
                        if call["name"] == message.name and "ok" not in call:
                            call["ok"] = ok
                            break
                elif isinstance(message, AIMessage) and message.text:
                    run["replies"].append(message.text)
                    run["citations"] = message.additional_kwargs.get("citations", [])
            seen = len(messages)
            if state.get("passages"):
                run["passages_used"] = True
                run["facts"] += [p["text"] for p in state["passages"]]
            triage = state.get("triage")
            if triage:
                run["intent"] = triage["intent"]
                run["route"] = route_after_triage(state)
            asked = state.get("__interrupt__")
            if not asked:
                break
            value = asked[0].value
            if value.get("kind") == "confirm":
                run["interrupts"].append(f"confirm:{value['action']}")
                approved = turn.get("confirm")
                payload = Command(resume={"approved": True if approved is None else approved})
                continue
            run["interrupts"].append(f"handoff:{value['reason']}")
            stop = True  # a person takes over: the scripted customer waits
            break
        turn_times.append(time.perf_counter() - started)
        if stop:
            break
    run["reply"] = "\n".join(run.pop("replies"))
    run["facts"] = "\n".join(run["facts"])
    run["latency_s"] = statistics.fmean(turn_times)
    return run


def score_example(
    run: dict[str, Any], example: dict[str, Any], evaluators: tuple[Any, ...]
) -> list[dict[str, Any]]:
    """The scores of one played scenario."""
    return [r for evaluator in evaluators if (r := evaluator(run, example)) is not None]


def summarise_scenarios(
    rows: list[dict[str, Any]], runs: list[dict[str, Any]], evaluators: tuple[Any, ...]
) -> dict[str, Any]:
    """Mean scores, the pass rate per category, and each scenario's outcome."""
    results, per_example = [], []
    for example, run in zip(rows, runs, strict=True):
        scores = score_example(run, example, evaluators)
        results += scores
        per_example.append(
            {
                "id": example["id"],
                "category": example.get("category") or example.get("specialist"),
                "scores": {s["key"]: s["score"] for s in scores},
                "tools": run["tools"],
                "interrupts": run["interrupts"],
                "reply": run["reply"][:400],
            }
        )
    summary = summarise(results)
    by_category: dict[str, list[float]] = defaultdict(list)
    for item in per_example:
        main = item["scores"].get("safety_pass", item["scores"].get("trajectory_exact", 0.0))
        by_category[str(item["category"])].append(main)
    return {
        "summary": summary,
        "by_category": {k: round(statistics.fmean(v), 4) for k, v in by_category.items()},
        "examples": per_example,
    }


# -- the whole run -----------------------------------------------------------------------


def build_parts(model_name: str, triage_dir: Path, workdir: Path) -> dict[str, Any]:
    """Model, triage, knowledge base, a seeded store to copy, and the product index."""
    from graph.llm.fake import FactEchoModel
    from store.backend import SqlStoreBackend
    from store.catalog import ProductIndex
    from store.knowledge import KnowledgeBase
    from store.seed import seed
    from triage import load_or_train

    model = FactEchoModel() if model_name == "scripted" else _load_model(model_name)
    store_file = workdir / "seeded.db"
    base = SqlStoreBackend.from_url(f"sqlite:///{store_file}")
    seed(base.engine)
    kb = KnowledgeBase.open(path=workdir / "qdrant")
    kb.ingest(Path("data/helpcentre"))
    return {
        "model": model,
        "triager": load_or_train(triage_dir),
        "kb": kb,
        "store_file": store_file,
        "recommender": ProductIndex(base, kb.embedder),
    }


def _load_model(name: str) -> Any:
    """A chat model by name (``local`` or ``provider:model``), loaded."""
    from graph.llm import load_chat_model

    model = load_chat_model(name, models_dir=Path(".data/models"))
    if hasattr(model, "load"):
        model.load()
    return model


def graph_factory(parts: dict[str, Any], workdir: Path) -> Any:
    """A graph over a private copy of the store, per example (actions change data)."""
    from langgraph.checkpoint.memory import InMemorySaver

    from graph import build_graph
    from store.backend import SqlStoreBackend

    def make() -> Any:
        copy = workdir / f"store-{uuid.uuid4().hex[:8]}.db"
        shutil.copy(parts["store_file"], copy)
        return build_graph(
            model=parts["model"],
            retriever=parts["kb"],
            backend=SqlStoreBackend.from_url(f"sqlite:///{copy}"),
            triager=parts["triager"],
            recommender=parts["recommender"],
            checkpointer=InMemorySaver(),
        )

    return make


async def evaluate(
    suites: list[str],
    model_name: str,
    triage_dir: Path,
    context_fields: dict[str, Any] | None = None,
    limit: int | None = None,
    langsmith: Any = None,
    judge_name: str | None = None,
) -> dict[str, Any]:
    """Run the suites; return the report.

    With ``judge_name`` (a model name, as for ``model_name``) groundedness is judged
    by that model instead of the lexical check.

    With a ``langsmith`` client each suite is also uploaded as a dataset and run
    as an experiment there; the report is computed from the same runs.
    """
    from graph.context import Context

    context_fields = context_fields or {}
    context = Context(**context_fields)
    workdir = Path(tempfile.mkdtemp(prefix="sg-eval-"))
    try:
        parts = await asyncio.to_thread(build_parts, model_name, triage_dir, workdir)
        judge = None
        if judge_name is not None:
            judge = parts["model"] if judge_name == model_name else _load_model(judge_name)
        report: dict[str, Any] = {"model": model_name, "revision": _revision(), "suites": {}}
        metadata = {
            "model": model_name,
            "revision": report["revision"],
            **experiments.prompt_metadata(
                {"system_prompt": context.system_prompt, "respond_prompt": context.respond_prompt},
                list(context_fields),
            ),
        }
        graph_for = graph_factory(parts, workdir)
        evaluators = {
            "conversations": ev.conversation_evaluators(judge),
            "safety": ev.SAFETY_EVALUATORS,
        }
        if judge is not None:
            metadata["judge"] = judge_name
            report["judge"] = judge_name
        for suite in suites:
            started = time.perf_counter()
            rows = load(suite)[:limit] if limit else load(suite)
            target, score = _suite_parts(suite, parts, graph_for, context_fields, evaluators)

            async def play(inputs: dict[str, Any], target: Any = target) -> dict[str, Any]:
                return await target(inputs)

            if langsmith is not None:
                ran = await experiments.run_experiment(
                    langsmith, suite, rows, play, score, metadata
                )
                runs = ran.pop("outputs")
                report.setdefault("langsmith", {})[suite] = ran
            else:
                runs = []
                for number, row in enumerate(rows, 1):
                    runs.append(await play(row))
                    if suite in ("conversations", "safety"):  # slow on a real model
                        _progress(suite, number, len(rows), row, started)
            if suite == "routing":
                result = summarise_routing(rows, runs)
            elif suite == "retrieval":
                result = {"summary": summarise(
                    [s for row, run in zip(rows, runs, strict=True) for s in score(run, row)]
                )}  # fmt: skip
            else:
                result = summarise_scenarios(rows, runs, evaluators[suite])
            result["seconds"] = round(time.perf_counter() - started, 1)
            report["suites"][suite] = result
        parts["kb"].close()
        return report
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _progress(suite: str, number: int, total: int, row: dict[str, Any], started: float) -> None:
    """One line on stderr per played scenario, so a long run on a real model shows progress."""
    elapsed = time.perf_counter() - started
    print(f"{suite} {number}/{total} {row.get('id', '')} ({elapsed:.0f} s)", file=sys.stderr)


def _suite_parts(
    suite: str,
    parts: dict[str, Any],
    graph_for: Any,
    context_fields: dict[str, Any],
    evaluators: dict[str, tuple[Any, ...]],
) -> tuple[Any, Any]:
    """The target that plays one example of ``suite`` and the function that scores it."""
    from graph.context import Context

    if suite == "routing":

        async def route(row: dict[str, Any]) -> dict[str, Any]:
            return route_one(parts["triager"], row)

        return route, score_routing
    if suite == "retrieval":
        min_score = Context(**context_fields).retrieval_min_score

        async def search(row: dict[str, Any]) -> dict[str, Any]:
            return {"hits": await asyncio.to_thread(parts["kb"].search, row["question"], k=10)}

        return search, lambda run, row: score_retrieval(run, row, min_score)

    async def converse(row: dict[str, Any]) -> dict[str, Any]:
        return await run_example(graph_for(), row, context_fields)

    return converse, lambda run, row: score_example(run, row, evaluators[suite])


def compare(report: dict[str, Any], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Each metric against the baseline: what got better and what got worse."""
    changes = []
    for suite, result in report["suites"].items():
        before = baseline.get("suites", {}).get(suite, {}).get("summary", {})
        for key, now in result["summary"].items():
            if key not in before:
                continue
            delta = now["score"] - before[key]["score"]
            worse = delta > 0 if key in HIGHER_IS_WORSE else delta < 0
            if abs(delta) > 1e-9:
                changes.append(
                    {"suite": suite, "key": key, "before": before[key]["score"],
                     "now": now["score"], "change": "worse" if worse else "better"}
                )  # fmt: skip
    return changes


def markdown(report: dict[str, Any], changes: list[dict[str, Any]] | None) -> str:
    """The report as Markdown tables."""
    lines = [f"# Eval report: model `{report['model']}` at `{report['revision']}`", ""]
    for suite, result in report["suites"].items():
        lines += [
            f"## {suite} ({result.get('seconds', 0)} s)",
            "",
            "| metric | score | n |",
            "|---|---|---|",
        ]
        lines += [
            f"| {k} | {v['score']:.3f} | {v['n']} |" for k, v in sorted(result["summary"].items())
        ]
        if result.get("by_category"):
            lines += ["", "| category | pass |", "|---|---|"]
            lines += [f"| {k} | {v:.3f} |" for k, v in sorted(result["by_category"].items())]
        lines.append("")
    if report.get("langsmith"):
        lines += [
            "## LangSmith",
            "",
            "| suite | dataset | examples created / deleted / kept | experiment |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {suite} | {r['dataset']} | {r['created']} / {r['deleted']} / {r['kept']} "
            f"| {r['experiment']} |"
            for suite, r in report["langsmith"].items()
        ]
        lines.append("")
    if changes is not None:
        lines += ["## Against the baseline", ""]
        if not changes:
            lines.append("No metric changed.")
        else:
            lines += ["| suite | metric | before | now | |", "|---|---|---|---|---|"]
            lines += [
                f"| {c['suite']} | {c['key']} | {c['before']:.3f} | {c['now']:.3f} "
                f"| {c['change']} |"
                for c in changes
            ]
    return "\n".join(lines) + "\n"


def _langsmith_client() -> Any:
    """A LangSmith client when ``LANGSMITH_API_KEY`` is set (environment or ``.env``)."""
    from server.settings import get_settings
    from server.tracing import langsmith_client

    settings = get_settings()
    if settings.langsmith_api_key is None:
        return None
    return langsmith_client(settings)()


def _revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``eval`` command's options."""
    parser.add_argument("--suite", default=",".join(SUITES), help="comma-separated suites")
    parser.add_argument("--model", default="local", help="scripted, local, or provider:model")
    parser.add_argument("--triage", default=".data/triage", help="trained triage model dir")
    parser.add_argument(
        "--prompt", action="append", default=[], metavar="FIELD=FILE",
        help="override a Context prompt, e.g. respond_prompt=my_prompt.txt",
    )  # fmt: skip
    parser.add_argument(
        "--judge", metavar="MODEL",
        help="a model that judges groundedness (default: the offline lexical check)",
    )  # fmt: skip
    parser.add_argument("--out", default=".data/evals", help="where report.json/.md go")
    parser.add_argument("--baseline", help="a report.json to compare with")
    parser.add_argument("--limit", type=int, help="only the first N examples of each suite")
    parser.add_argument(
        "--no-langsmith", action="store_true",
        help="don't upload to LangSmith even when LANGSMITH_API_KEY is set",
    )  # fmt: skip


def main(args: argparse.Namespace) -> int:
    """Run, print, write, compare."""
    from graph.context import Context

    prompts = {f.name for f in dataclasses.fields(Context) if f.name.endswith("_prompt")}
    overrides = {}
    for item in args.prompt:
        field, _, path = item.partition("=")
        if field not in prompts or not path:
            print(f"--prompt takes FIELD=FILE with FIELD one of {sorted(prompts)}", file=sys.stderr)
            return 2
        try:
            overrides[field] = Path(path).read_text()
        except OSError as exc:
            print(f"--prompt {field}: cannot read {path}: {exc.strerror}", file=sys.stderr)
            return 2
    suites = [s for s in args.suite.split(",") if s]
    unknown = set(suites) - set(SUITES)
    if unknown or not suites:
        print(f"unknown suites {sorted(unknown)}: choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    if args.baseline and not Path(args.baseline).is_file():
        print(f"--baseline {args.baseline}: no such report", file=sys.stderr)
        return 2
    client = None if args.no_langsmith else _langsmith_client()
    if client is not None:
        print("LANGSMITH_API_KEY is set: each suite also runs as a LangSmith experiment")
    report = asyncio.run(
        evaluate(suites, args.model, Path(args.triage), overrides, args.limit, client, args.judge)
    )
    report["prompt_overrides"] = sorted(overrides)
    changes = None
    if args.baseline:
        changes = compare(report, json.loads(Path(args.baseline).read_text()))
    text = markdown(report, changes)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, default=str))
    (out / "report.md").write_text(text)
    print(f"wrote {out / 'report.json'} and {out / 'report.md'}")
    return 0
