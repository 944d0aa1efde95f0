"""The ``supportgraph`` command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.settings import get_settings

    settings = get_settings()
    if args.port:
        settings.port = args.port
    if args.host:
        settings.host = args.host
    print(f"SupportGraph: starting on http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


def _seed(args: argparse.Namespace) -> int:
    from server.settings import get_settings
    from store.backend import SqlStoreBackend
    from store.seed import is_empty, seed

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    backend = SqlStoreBackend.from_url(settings.resolved_database_url)
    if args.if_empty and not is_empty(backend.engine):
        print("store already seeded")
        return 0
    print(json.dumps(seed(backend.engine)))
    return 0


def _token(args: argparse.Namespace) -> int:
    from server.auth import mint_customer_token, token_secret
    from server.settings import get_settings

    settings = get_settings()
    token = mint_customer_token(token_secret(settings), args.customer_id, args.minutes)
    print(token)
    print(
        f"chat page: http://{settings.host}:{settings.port}/?token={token}",
        file=sys.stderr,
    )
    return 0


def _agent_key(args: argparse.Namespace) -> int:
    from server.agents import new_agent_key
    from server.settings import get_settings

    settings = get_settings()
    print(new_agent_key(settings, args.name, args.role))
    print(
        f"inbox: http://{settings.host}:{settings.port}/ui/inbox.html (restart the server "
        "to pick up new keys)",
        file=sys.stderr,
    )
    return 0


def _eval(args: argparse.Namespace) -> int:
    from evals.run import main as run_evals

    return run_evals(args)


def _kb(args: argparse.Namespace) -> int:
    from server.settings import get_settings
    from store.knowledge import KnowledgeBase

    settings = get_settings()
    kb = KnowledgeBase.open(path=settings.qdrant_path, url=settings.qdrant_url)
    try:
        if args.kb_command == "ingest":
            print(json.dumps(kb.ingest(Path(args.path))))
        else:
            hits = kb.search(args.query, k=args.k, category=args.category)
            print(json.dumps(hits, indent=2))
    finally:
        kb.close()
    return 0


def _triage(args: argparse.Namespace) -> int:
    from triage import BUNDLED, evaluate_emergencies, evaluate_intents, train
    from triage.data import load_jsonl
    from triage.models import TrainConfig, TriageNet

    if args.triage_command == "train":
        emergencies = Path(args.emergency_data or BUNDLED["emergency_train"])
        report = train(
            load_jsonl(Path(args.data)),
            load_jsonl(emergencies),
            Path(args.out),
            TrainConfig(epochs=args.epochs),
        )
        print(json.dumps(report))
        return 0
    net = TriageNet.load(Path(args.model))
    result = evaluate_intents(net, load_jsonl(Path(args.data)))
    if args.emergency_data:
        result["emergency"] = evaluate_emergencies(net, load_jsonl(Path(args.emergency_data)))
    print(json.dumps(result))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``supportgraph`` console script."""
    from server.middleware import configure_logging
    from server.settings import get_settings

    configure_logging(get_settings().log_format)
    parser = argparse.ArgumentParser(prog="supportgraph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API and chat page")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=_serve)

    seed = sub.add_parser("seed", help="fill the store with deterministic demo data")
    seed.add_argument("--if-empty", action="store_true", help="only when nothing is there")
    seed.set_defaults(func=_seed)

    token = sub.add_parser("token", help="print a signed customer token (demo sign-in)")
    token.add_argument("customer_id", help="e.g. C0001 (Ava Thompson)")
    token.add_argument("--minutes", type=int, default=24 * 60, help="validity")
    token.set_defaults(func=_token)

    agent_key = sub.add_parser("agent-key", help="make a key for a human agent (inbox sign-in)")
    agent_key.add_argument("name", help="the agent's name as customers will see it, e.g. Dana")
    agent_key.add_argument("--role", choices=["agent", "admin"], default="agent")
    agent_key.set_defaults(func=_agent_key)

    from evals.run import add_arguments as eval_arguments

    evaluate_all = sub.add_parser("eval", help="run the evaluation suites and write a report")
    eval_arguments(evaluate_all)
    evaluate_all.set_defaults(func=_eval)

    kb = sub.add_parser("kb", help="the help-centre knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    ingest = kb_sub.add_parser("ingest", help="sync a folder of articles into Qdrant")
    ingest.add_argument("path")
    search = kb_sub.add_parser("search", help="print the top hits for a query as JSON")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--category", help="only articles of this category")
    kb.set_defaults(func=_kb)

    triage = sub.add_parser("triage", help="train and evaluate the triage model")
    triage_sub = triage.add_subparsers(dest="triage_command", required=True)
    train = triage_sub.add_parser(
        "train", help="fine-tune on a JSONL dataset (label oos = out of scope)"
    )
    train.add_argument("--data", required=True, help="intent examples, JSONL {text, label}")
    train.add_argument("--out", required=True, help="model directory to write")
    train.add_argument("--emergency-data", help="emergency examples (default: the bundled set)")
    train.add_argument("--epochs", type=int, default=4)
    evaluate = triage_sub.add_parser("evaluate", help="print metrics of a model on a dataset")
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--data", required=True)
    evaluate.add_argument("--emergency-data", help="also measure emergency detection on this")
    triage.set_defaults(func=_triage)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, FileNotFoundError) as exc:
        print(f"supportgraph: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
