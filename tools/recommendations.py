"""Recommendation tools: products that fit the customer's need, budget and history."""

from __future__ import annotations

from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool

from graph.context import Context
from graph.resources import Lazy
from store.backend import StoreBackend
from store.catalog import Recommender
from tools._common import customer_of, off_loop, refuse, result

CATEGORIES = (
    "refrigerator washer dryer dishwasher range freezer microwave vacuum coffee_maker air_purifier"
).split()


def _category(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().lower().replace(" ", "_").replace("-", "_")
    for candidate in (value, value.removesuffix("s"), value.removesuffix("es")):
        if candidate in CATEGORIES:
            return candidate
    return {"fridge": "refrigerator", "oven": "range", "stove": "range"}.get(
        value.removesuffix("s")
    )


def build_recommendation_tools(
    backend: Lazy[StoreBackend], recommender: Lazy[Recommender]
) -> list[BaseTool]:
    """Return the recommendations specialist's tools."""

    @tool
    async def recommend_products(
        need: str,
        runtime: ToolRuntime[Context, Any],
        category: str | None = None,
        max_price: float | None = None,
    ) -> str:
        """Suggest up to three products that fit the customer's need and budget.

        Args:
            need: What the customer wants, in their words (e.g. "quiet, energy star").
            category: One of refrigerator, washer, dryer, dishwasher, range, freezer,
                microwave, vacuum, coffee_maker, air_purifier.
            max_price: The customer's budget in USD, if they gave one.
        """
        if max_price is not None and max_price <= 0:
            max_price = None
        wanted = _category(category)
        customer_id = customer_of(runtime)
        owned: set[str] = set()
        if customer_id is not None:  # don't suggest what they already bought
            owned = await off_loop((await backend.aget()).purchased_product_ids, customer_id)
        index = await recommender.aget()
        products = await off_loop(
            index.recommend, need, category=wanted, max_price=max_price, exclude=owned, limit=3
        )
        if not products:
            budget = f" under {max_price:.0f} USD" if max_price else ""
            return refuse(f"No {wanted or 'product'}s{budget} match; ask about a higher budget.")
        lines = [
            f"{p['name']} ({p['id']}), {p['price']:.2f} USD: {p['description']}"
            + (" Final sale: can't be returned." if p["final_sale"] else "")
            for p in products
        ]
        return result(products=products, summary="Matching products: " + " | ".join(lines))

    return [recommend_products]
