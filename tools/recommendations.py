"""Recommendation tools: products matching what the customer needs."""

from __future__ import annotations

import re

from langchain_core.tools import BaseTool, tool

from graph.resources import Lazy
from store.backend import StoreBackend
from tools._common import off_loop, refuse, result

_STOP = {"a", "an", "the", "for", "with", "and", "or", "i", "need", "want", "my", "me", "that"}
CATEGORIES = (
    "refrigerator washer dryer dishwasher range freezer microwave vacuum coffee_maker air_purifier"
).split()


def build_recommendation_tools(backend: Lazy[StoreBackend]) -> list[BaseTool]:
    """Return the recommendations specialist's tools bound to ``backend``."""

    @tool
    async def recommend_products(
        need: str, category: str | None = None, max_price: float | None = None
    ) -> str:
        """Suggest up to five products that fit the customer's need and budget.

        Args:
            need: What the customer wants, in their words (e.g. "quiet, energy star").
            category: One of refrigerator, washer, dryer, dishwasher, range, freezer,
                microwave, vacuum, coffee_maker, air_purifier.
            max_price: The customer's budget in USD, if they gave one.
        """
        if category is not None:
            category = category.strip().lower().replace(" ", "_").rstrip("s")
            if category not in CATEGORIES:
                category = None
        terms = [w for w in re.findall(r"[a-z-]+", need.lower()) if w not in _STOP and len(w) > 2]
        store = await backend.aget()
        products = await off_loop(store.search_products, terms, category, max_price)
        if not products and terms:  # fall back to the category and budget alone
            products = await off_loop(store.search_products, [], category, max_price)
        if not products:
            return refuse("No products match that category and budget.")
        return result(products=products)

    return [recommend_products]
