"""The help centre in Qdrant: ingestion and search."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import frontmatter
from langchain_text_splitters import RecursiveCharacterTextSplitter
from qdrant_client import QdrantClient, models

from graph.state import Passage
from store.embeddings import DIMENSIONS, Embedder

COLLECTION = "helpcentre"
_ID_NAMESPACE = uuid.UUID("5b0c7f4e-6f61-4c8e-9a39-0b1e5d3d2a10")


class Retriever(Protocol):
    """Anything that finds help-centre passages."""

    async def asearch(
        self, query: str, k: int = 4, *, language: str | None = None, category: str | None = None
    ) -> list[Passage]:
        """Return up to ``k`` passages, best first, with cosine scores, optionally filtered."""
        ...


@dataclass
class Chunk:
    """One piece of an article, ready to embed."""

    id: str
    article_id: str
    title: str
    category: str
    language: str
    text: str


def load_articles(path: Path) -> list[dict[str, Any]]:
    """Read Markdown articles with front matter (id, title, category, language)."""
    articles = []
    for file in sorted(path.glob("*.md")):
        post = frontmatter.load(file)
        if "id" not in post.metadata:
            continue  # README and other notes
        articles.append({**post.metadata, "id": str(post["id"]), "body": post.content})
    return articles


def chunk_articles(articles: list[dict[str, Any]]) -> list[Chunk]:
    """Split articles into overlapping chunks whose ids derive from their content."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=700, chunk_overlap=100)
    chunks = []
    for article in articles:
        for piece in splitter.split_text(article["body"]):
            digest = hashlib.sha256(f"{article['id']}\n{piece}".encode()).hexdigest()
            chunks.append(
                Chunk(
                    id=str(uuid.uuid5(_ID_NAMESPACE, digest)),
                    article_id=article["id"],
                    title=str(article.get("title", article["id"])),
                    category=str(article.get("category", "general")),
                    language=str(article.get("language", "en")),
                    text=f"{article.get('title', '')}\n{piece}",
                )
            )
    return chunks


class KnowledgeBase:
    """Help-centre chunks in a Qdrant collection, embedded with MiniLM."""

    def __init__(self, client: QdrantClient, embedder: Embedder, collection: str = COLLECTION):
        self.client = client
        self.embedder = embedder
        self.collection = collection

    @classmethod
    def open(cls, *, path: Path | None = None, url: str | None = None) -> KnowledgeBase:
        """Open Qdrant at ``url``, or in local mode under ``path``."""
        client = QdrantClient(url=url) if url else QdrantClient(path=str(path))
        return cls(client, Embedder())

    def ensure_collection(self) -> None:
        """Create the collection if it is missing."""
        if not self.client.collection_exists(self.collection):
            self.client.create_collection(
                self.collection,
                vectors_config=models.VectorParams(
                    size=DIMENSIONS, distance=models.Distance.COSINE
                ),
            )

    def count(self) -> int:
        """How many chunks are stored."""
        if not self.client.collection_exists(self.collection):
            return 0
        return self.client.count(self.collection).count

    def ingest(self, path: Path) -> dict[str, int]:
        """Bring the collection in line with the articles under ``path``.

        New chunks are embedded and added, unchanged ones are left alone, and
        chunks of changed or deleted articles are removed.
        """
        self.ensure_collection()
        chunks = chunk_articles(load_articles(path))
        wanted = {c.id: c for c in chunks}
        existing: set[str] = set()
        offset = None
        while True:
            points, offset = self.client.scroll(
                self.collection, limit=1000, offset=offset, with_payload=False
            )
            existing.update(str(p.id) for p in points)
            if offset is None:
                break
        new = [c for c in chunks if c.id not in existing]
        stale: list[int | str | uuid.UUID] = [pid for pid in existing if pid not in wanted]
        if stale:
            self.client.delete(self.collection, points_selector=models.PointIdsList(points=stale))
        for start in range(0, len(new), 256):
            batch = new[start : start + 256]
            vectors = self.embedder.embed([c.text for c in batch])
            self.client.upsert(
                self.collection,
                points=[
                    models.PointStruct(
                        id=c.id,
                        vector=v,
                        payload={
                            "article_id": c.article_id,
                            "title": c.title,
                            "category": c.category,
                            "language": c.language,
                            "text": c.text,
                        },
                    )
                    for c, v in zip(batch, vectors, strict=True)
                ],
            )
        return {"chunks": len(chunks), "added": len(new), "removed": len(stale)}

    def search(
        self, query: str, k: int = 4, *, language: str | None = None, category: str | None = None
    ) -> list[Passage]:
        """Return the ``k`` nearest chunks with cosine scores, filtered by payload."""
        vector = self.embedder.embed([query])[0]
        conditions = [
            models.FieldCondition(key=key, match=models.MatchValue(value=value))
            for key, value in (("language", language), ("category", category))
            if value
        ]
        hits = self.client.query_points(
            self.collection,
            query=vector,
            limit=k,
            query_filter=models.Filter(must=list(conditions)) if conditions else None,
        ).points
        return [
            Passage(
                article_id=str(h.payload["article_id"]),
                title=str(h.payload["title"]),
                text=str(h.payload["text"]),
                score=float(h.score),
            )
            for h in hits
            if h.payload
        ]

    async def asearch(
        self, query: str, k: int = 4, *, language: str | None = None, category: str | None = None
    ) -> list[Passage]:
        """``search`` off the event loop."""
        return await asyncio.to_thread(
            lambda: self.search(query, k, language=language, category=category)
        )

    def close(self) -> None:
        """Release the Qdrant client (and its local-mode lock)."""
        self.client.close()
