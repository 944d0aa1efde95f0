"""Product recommendations: nearest products to the customer's need, by embedding."""

from __future__ import annotations

import threading
from typing import Any, Protocol

import numpy as np

from store.backend import StoreBackend
from store.embeddings import Embedder


class Recommender(Protocol):
    """What the recommendations tool needs."""

    def recommend(
        self,
        need: str,
        *,
        category: str | None = None,
        max_price: float | None = None,
        exclude: set[str] | frozenset[str] = frozenset(),
        limit: int = 5,
    ) -> list[dict[str, Any]]:
        """Products closest to ``need`` within category and budget, best first."""
        ...


class ProductIndex:
    """The catalogue embedded once (name + description + specs), searched in memory.

    A few hundred products fit in a matrix; a large catalogue would move to a
    Qdrant collection behind the same ``Recommender`` interface.
    """

    def __init__(self, backend: StoreBackend, embedder: Embedder) -> None:
        self.backend = backend
        self.embedder = embedder
        self._products: list[dict[str, Any]] = []
        self._vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        with self._lock:
            if self._vectors is None:
                self._products = self.backend.list_products()
                texts = [f"{p['name']}. {p['description']}" for p in self._products]
                self._vectors = np.asarray(self.embedder.embed(texts), dtype=np.float32)

    def recommend(
        self,
        need: str,
        *,
        category: str | None = None,
        max_price: float | None = None,
        exclude: set[str] | frozenset[str] = frozenset(),
        limit: int = 5,
    ) -> list[dict[str, Any]]:
        """See ``Recommender``."""
        self._ensure()
        assert self._vectors is not None
        query = np.asarray(self.embedder.embed([need])[0], dtype=np.float32)
        scores = self._vectors @ query
        picked = []
        for index in np.argsort(-scores):
            product = self._products[int(index)]
            if product["id"] in exclude:
                continue
            if category and product["category"] != category:
                continue
            if max_price is not None and product["price"] > max_price:
                continue
            picked.append(
                {
                    "id": product["id"],
                    "name": product["name"],
                    "category": product["category"],
                    "price": product["price"],
                    "description": product["description"],
                    "final_sale": bool(product["final_sale"]),
                    "score": round(float(scores[index]), 3),
                }
            )
            if len(picked) == limit:
                break
        return picked
