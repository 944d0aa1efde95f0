"""The help centre in Qdrant: ingestion, and hybrid search with a calibrated relevance score.

Qdrant holds every point: the article chunks (passages a reply can quote) and the
customer phrasings listed under ``questions:`` in each article's front matter, which
only point to their article. Searching scores *articles* first, from three signals:

* the best cosine of the question against the article's chunks,
* the best cosine against the article's customer phrasings (the chunk score when it
  has none), and
* keyword coverage: the share of the question's words, weighted by rarity, that the
  article uses (words no article uses count as uncovered).

``relevance = (1 - KEYWORD_WEIGHT) * mean(cosines) + KEYWORD_WEIGHT * coverage`` is
what a passage's ``score`` carries, so one threshold (``Context.retrieval_min_score``)
decides when the help centre has nothing on a question. Each returned passage is one
of its article's chunks, scored with its own cosine in place of the article's best.

Search runs on an in-process copy of the collection (vectors, payloads and word
statistics), loaded on first use and reloaded when the collection's revision changes:
Qdrant's local mode scores every point in Python, which costs far more than the whole
query budget once payload filters are involved.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import frontmatter
import numpy as np
from langchain_text_splitters import RecursiveCharacterTextSplitter
from qdrant_client import QdrantClient, models

from graph.state import Passage
from store.embeddings import DIMENSIONS, Embedder

COLLECTION = "helpcentre"
_ID_NAMESPACE = uuid.UUID("5b0c7f4e-6f61-4c8e-9a39-0b1e5d3d2a10")

KEYWORD_WEIGHT = 0.2
"""Share of the relevance score given to keyword coverage (the rest is cosine)."""
UNKNOWN_WORD_WEIGHT = 2.0
"""Weight of a question word that no article uses (about the rarity of a one-article word)."""
PASSAGES_PER_ARTICLE = 2
"""At most this many chunks of one article in a result, so others get a place."""
REVISION_CHECK_SECONDS = 10.0
"""How often a search asks Qdrant whether another process changed the collection."""
PASSAGE, QUESTION = "passage", "question"

_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can cannot could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it its itself
    me more most my myself no nor not of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those through
    to too under until up very was we were what when where which while who whom why with would
    you your yours im ive id dont cant wont doesnt didnt isnt arent wasnt havent hasnt theres
    whats hows thats youre u ur pls please just also still really kinda thing stuff guys one now
    get got go going want need know like""".split()
)


class Retriever(Protocol):
    """Anything that finds help-centre passages."""

    async def asearch(
        self, query: str, k: int = 4, *, language: str | None = None, category: str | None = None
    ) -> list[Passage]:
        """Return up to ``k`` passages, best first, with relevance scores, optionally filtered."""
        ...


@dataclass
class Chunk:
    """One point to embed: a piece of an article, or a customer phrasing of it."""

    id: str
    article_id: str
    title: str
    category: str
    language: str
    text: str
    kind: str = PASSAGE


def _stem(word: str) -> str:
    """Strip common English inflections, so "expired" and "expire" meet."""
    if len(word) <= 3:
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + replacement
            break
    else:
        if word.endswith("s") and word[-2:] not in ("ss", "us", "is"):
            word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]  # shipp(ing) -> ship, cancell(ed) -> cancel
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def keywords(text: str) -> list[str]:
    """Lower-cased, stemmed content words of ``text``, stopwords left out."""
    words = re.findall(r"[a-z0-9]+", text.lower().replace("'", "").replace("\u2019", ""))
    return [_stem(w) for w in words if len(w) > 1 and w not in _STOPWORDS]


def load_articles(path: Path) -> list[dict[str, Any]]:
    """Read Markdown articles with front matter (id, title, category, language, questions)."""
    articles = []
    for file in sorted(path.glob("*.md")):
        post = frontmatter.load(file)
        if "id" not in post.metadata:
            continue  # README and other notes
        questions = post.metadata.get("questions") or []
        if not isinstance(questions, list):
            raise ValueError(f"{file.name}: questions must be a list of customer phrasings")
        articles.append(
            {
                **post.metadata,
                "id": str(post["id"]),
                "body": post.content,
                "questions": [str(q) for q in questions],
            }
        )
    return articles


def _sections(body: str) -> list[tuple[str, str]]:
    """Split a Markdown body at its ``##`` headings into (heading, text) pairs."""
    sections: list[tuple[str, str]] = []
    heading = ""
    lines: list[str] = []
    for line in body.splitlines():
        if line.startswith("## "):
            sections.append((heading, "\n".join(lines).strip()))
            heading, lines = line[3:].strip(), []
        elif not line.startswith("# "):  # the H1 repeats the title
            lines.append(line)
    sections.append((heading, "\n".join(lines).strip()))
    return [(h, t) for h, t in sections if t]


def _point_id(article_id: str, kind: str, text: str) -> str:
    digest = hashlib.sha256(f"{article_id}\n{kind}\n{text}".encode()).hexdigest()
    return str(uuid.uuid5(_ID_NAMESPACE, digest))


def chunk_articles(articles: list[dict[str, Any]]) -> list[Chunk]:
    """Split articles at their headings (and long sections further) into titled chunks.

    Each chunk starts with the article title and its section heading, so it reads on
    its own. Every front-matter question becomes a ``question`` chunk of its article.
    Ids derive from the content, so an unchanged chunk keeps its id.
    """
    splitter = RecursiveCharacterTextSplitter(chunk_size=700, chunk_overlap=100)
    chunks = []
    for article in articles:
        title = str(article.get("title", article["id"]))
        meta = {
            "article_id": article["id"],
            "title": title,
            "category": str(article.get("category", "general")),
            "language": str(article.get("language", "en")),
        }
        for heading, section in _sections(article["body"]):
            prefix = f"{title}\n{heading}\n" if heading else f"{title}\n"
            for piece in splitter.split_text(section):
                text = prefix + piece
                chunks.append(Chunk(id=_point_id(article["id"], PASSAGE, text), text=text, **meta))
        for question in article.get("questions", []):
            chunks.append(
                Chunk(
                    id=_point_id(article["id"], QUESTION, question),
                    text=question,
                    kind=QUESTION,
                    **meta,
                )
            )
    return chunks


@dataclass
class _Index:
    """An in-process copy of the collection, grouped by article, for fast scoring."""

    revision: str | None
    vectors: np.ndarray  # (points, DIMENSIONS), unit rows, sorted by article
    article_of: np.ndarray  # point -> article number
    starts: np.ndarray  # first point of each article
    is_question: np.ndarray
    category: np.ndarray
    language: np.ndarray
    payloads: list[dict[str, Any]]
    article_ids: list[str]
    vocabulary: list[frozenset[str]]  # per article
    idf: dict[str, float]
    checked: float = field(default_factory=time.monotonic)

    @classmethod
    def build(cls, points: list[tuple[np.ndarray, dict[str, Any]]], revision: str | None) -> _Index:
        """Group points by article and count words for keyword coverage."""
        points = sorted(points, key=lambda p: (str(p[1]["article_id"]), p[1].get("kind", "")))
        payloads = [p for _, p in points]
        article_ids: list[str] = []
        article_of = np.zeros(len(points), dtype=np.int64)
        words: list[set[str]] = []
        for i, payload in enumerate(payloads):
            if not article_ids or article_ids[-1] != payload["article_id"]:
                article_ids.append(str(payload["article_id"]))
                words.append(set())
            article_of[i] = len(article_ids) - 1
            words[-1].update(keywords(str(payload["text"])))
        vectors = np.zeros((len(points), DIMENSIONS), dtype=np.float32)
        for i, (vector, _) in enumerate(points):
            vectors[i] = vector
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors /= np.where(norms == 0, 1, norms)
        frequency = Counter(w for ws in words for w in ws)
        n = len(article_ids)
        return cls(
            revision=revision,
            vectors=vectors,
            article_of=article_of,
            starts=np.flatnonzero(np.r_[True, article_of[1:] != article_of[:-1]])
            if len(points)
            else np.zeros(0, dtype=np.int64),
            is_question=np.array([p.get("kind") == QUESTION for p in payloads], dtype=bool),
            category=np.array([str(p.get("category")) for p in payloads], dtype=object),
            language=np.array([str(p.get("language")) for p in payloads], dtype=object),
            payloads=payloads,
            article_ids=article_ids,
            vocabulary=[frozenset(ws) for ws in words],
            idf={w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in frequency.items()},
        )

    def coverage(self, query: str) -> np.ndarray:
        """Per article, the rarity-weighted share of the query's words it uses."""
        weights = {w: self.idf.get(w, UNKNOWN_WORD_WEIGHT) for w in keywords(query)}
        total = sum(weights.values())
        if not total:
            return np.zeros(len(self.article_ids))
        return np.array(
            [sum(x for w, x in weights.items() if w in vocab) / total for vocab in self.vocabulary]
        )

    def search(
        self,
        query: str,
        vector: np.ndarray,
        k: int,
        *,
        language: str | None = None,
        category: str | None = None,
    ) -> list[Passage]:
        """Score articles, then return their best chunks with relevance scores."""
        if not len(self.payloads) or k <= 0:
            return []
        # einsum, not @: a matrix-vector product goes to OpenBLAS, whose threads spin
        # against each other on a busy machine (8 ms instead of 0.6 ms at 10,000 points).
        cosine = np.einsum("ij,j->i", self.vectors, vector.astype(np.float32))
        allowed = np.ones(len(cosine), dtype=bool)
        if language:
            allowed &= self.language == language
        if category:
            allowed &= self.category == category
        passage = np.where(allowed & ~self.is_question, cosine, -np.inf)
        question = np.where(allowed & self.is_question, cosine, -np.inf)
        best_passage = np.maximum.reduceat(passage, self.starts)
        best_question = np.maximum.reduceat(question, self.starts)
        best_question = np.where(np.isfinite(best_question), best_question, best_passage)
        coverage = self.coverage(query)
        # A chunk's score: its own cosine in place of the article's best chunk.
        article = self.article_of
        score = (1 - KEYWORD_WEIGHT) * (
            passage + best_question[article]
        ) / 2 + KEYWORD_WEIGHT * coverage[article]
        candidates = np.flatnonzero(np.isfinite(score))
        hits: list[Passage] = []
        taken: Counter[int] = Counter()
        for i in self._best_first(score, candidates, k):
            if taken[article[i]] >= PASSAGES_PER_ARTICLE:
                continue
            taken[article[i]] += 1
            payload = self.payloads[i]
            hits.append(
                Passage(
                    article_id=str(payload["article_id"]),
                    title=str(payload["title"]),
                    text=str(payload["text"]),
                    score=round(float(score[i]), 4),
                )
            )
            if len(hits) == k:
                break
        return hits

    @staticmethod
    def _best_first(score: np.ndarray, candidates: np.ndarray, k: int) -> Iterator[int]:
        """Candidates by falling score: a partial sort of the best few, then the rest."""
        head = min(len(candidates), PASSAGES_PER_ARTICLE * k * 4)
        if head < len(candidates):
            top = np.argpartition(-score[candidates], head - 1)[:head]
            first = candidates[top[np.argsort(-score[candidates[top]], kind="stable")]]
        else:
            first = candidates[np.argsort(-score[candidates], kind="stable")]
        yield from (int(i) for i in first)
        if head < len(candidates):  # only reached when the per-article cap skipped many
            rest = np.setdiff1d(candidates, first, assume_unique=True)
            yield from (int(i) for i in rest[np.argsort(-score[rest], kind="stable")])


class KnowledgeBase:
    """Help-centre chunks in a Qdrant collection, embedded with MiniLM, searched hybrid."""

    def __init__(self, client: QdrantClient, embedder: Embedder, collection: str = COLLECTION):
        self.client = client
        self.embedder = embedder
        self.collection = collection
        self._index: _Index | None = None
        self._lock = threading.Lock()

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
        """How many points (chunks and customer phrasings) are stored."""
        if not self.client.collection_exists(self.collection):
            return 0
        return self.client.count(self.collection).count

    def upsert(self, chunks: list[Chunk], batch_size: int = 256) -> None:
        """Embed and store chunks (ingest's write path; the benchmark's filler too)."""
        for start in range(0, len(chunks), batch_size):
            batch = chunks[start : start + batch_size]
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
                            "kind": c.kind,
                            "text": c.text,
                        },
                    )
                    for c, v in zip(batch, vectors, strict=True)
                ],
            )
        if chunks:
            self._mark_changed()

    def ingest(self, path: Path) -> dict[str, int]:
        """Bring the collection in line with the articles under ``path``.

        New chunks are embedded and added, unchanged ones are left alone, and
        chunks of changed or deleted articles are removed. ``chunks`` counts every
        point, customer phrasings included.
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
        self.upsert(new)
        if stale and not new:
            self._mark_changed()
        return {"chunks": len(chunks), "added": len(new), "removed": len(stale)}

    def _mark_changed(self) -> None:
        """Give the collection a new revision, so every searcher reloads its copy."""
        self.client.update_collection(self.collection, metadata={"revision": uuid.uuid4().hex})
        self._index = None

    def _revision(self) -> str | None:
        metadata = self.client.get_collection(self.collection).config.metadata or {}
        revision = metadata.get("revision")
        return str(revision) if revision is not None else None

    def _current_index(self) -> _Index:
        """The in-process copy, reloaded if the collection changed since it was made."""
        with self._lock:
            index = self._index
            if index is not None and time.monotonic() - index.checked < REVISION_CHECK_SECONDS:
                return index
            if not self.client.collection_exists(self.collection):
                self._index = _Index.build([], None)
                return self._index
            revision = self._revision()
            if index is not None and index.revision == revision:
                index.checked = time.monotonic()
                return index
            points: list[tuple[np.ndarray, dict[str, Any]]] = []
            offset = None
            while True:
                batch, offset = self.client.scroll(
                    self.collection, limit=1000, offset=offset, with_vectors=True
                )
                for p in batch:
                    vector = np.asarray(p.vector, dtype=np.float32)
                    if p.payload and vector.shape == (DIMENSIONS,):
                        points.append((vector, dict(p.payload)))
                if offset is None:
                    break
            self._index = _Index.build(points, revision)
            return self._index

    def search(
        self, query: str, k: int = 4, *, language: str | None = None, category: str | None = None
    ) -> list[Passage]:
        """Return the ``k`` most relevant chunks (at most two an article), filtered by payload.

        ``score`` is the relevance described in the module docstring: callers drop
        passages under their threshold, and an empty result after that means the
        help centre has no answer.
        """
        index = self._current_index()
        vector = self.embedder.embed_query(query)
        return index.search(query, vector, k, language=language, category=category)

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
