"""The ``supportgraph`` command."""

from __future__ import annotations

import argparse
import json
import logging
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


def _kb(args: argparse.Namespace) -> int:
    from server.settings import get_settings
    from store.knowledge import KnowledgeBase

    settings = get_settings()
    kb = KnowledgeBase.open(path=settings.qdrant_path, url=settings.qdrant_url)
    try:
        if args.kb_command == "ingest":
            print(json.dumps(kb.ingest(Path(args.path))))
        else:
            print(json.dumps(kb.search(args.query, k=args.k), indent=2))
    finally:
        kb.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``supportgraph`` console script."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    parser = argparse.ArgumentParser(prog="supportgraph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API and chat page")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=_serve)

    seed = sub.add_parser("seed", help="fill the store with deterministic demo data")
    seed.add_argument("--if-empty", action="store_true", help="only when nothing is there")
    seed.set_defaults(func=_seed)

    kb = sub.add_parser("kb", help="the help-centre knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    ingest = kb_sub.add_parser("ingest", help="sync a folder of articles into Qdrant")
    ingest.add_argument("path")
    search = kb_sub.add_parser("search", help="print the top hits for a query as JSON")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=5)
    kb.set_defaults(func=_kb)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
