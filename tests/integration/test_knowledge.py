"""The help centre in Qdrant local mode with the real MiniLM embeddings."""

import shutil
from pathlib import Path

import pytest

from store.knowledge import KnowledgeBase

HELPCENTRE = Path(__file__).resolve().parents[2] / "data" / "helpcentre"


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory):
    articles = tmp_path_factory.mktemp("articles")
    for file in HELPCENTRE.glob("*.md"):
        shutil.copy(file, articles)
    base = KnowledgeBase.open(path=tmp_path_factory.mktemp("qdrant"))
    base.articles = articles  # type: ignore[attr-defined]
    yield base
    base.close()


def test_ingest_is_idempotent_and_follows_edits(kb) -> None:
    articles: Path = kb.articles
    first = kb.ingest(articles)
    assert first["added"] == first["chunks"] > 100 and first["removed"] == 0
    assert kb.ingest(articles) == {"chunks": first["chunks"], "added": 0, "removed": 0}

    (articles / "payment-gift-cards.md").unlink()
    edited = articles / "returns-how-to-return.md"
    edited.write_text(edited.read_text().replace("30 days", "thirty days"))
    after = kb.ingest(articles)
    assert after["removed"] >= after["added"] >= 1
    assert kb.count() == after["chunks"]
    assert all(
        p["article_id"] != "payment-gift-cards" for p in kb.search("gift card balance", k=10)
    )


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("I smell gas in my kitchen, what should I do?", "safety-gas-smell"),
        ("how do I clean the filter in my dishwasher", "product-care-dishwasher-filter"),
        ("can I pay in monthly installments?", "payment-financing"),
    ],
)
def test_search_finds_the_right_article(kb, question: str, article: str) -> None:
    kb.ingest(kb.articles)
    hits = kb.search(question, k=3)
    assert article in [h["article_id"] for h in hits]
    assert hits[0]["score"] > 0.4
