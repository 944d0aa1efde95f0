"""The store backend the tools talk to.

``StoreBackend`` is the whole contract: plain-dict, read-mostly methods that a
Shopify or HubSpot adapter could implement as well. ``SqlStoreBackend`` is the
default, over SQLite (or PostgreSQL through ``DATABASE_URL``).
Ownership is never decided here: the tools check it against the session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, or_, select

from store import schema

Row = dict[str, Any]


class StoreBackend(Protocol):
    """What the specialist tools need from a store."""

    def get_customer(self, customer_id: str) -> Row | None:
        """Return a customer's profile and address, or ``None``."""
        ...

    def get_order(self, order_id: str) -> Row | None:
        """Return an order with its lines, shipment and tracking events, or ``None``."""
        ...

    def list_orders(self, customer_id: str, limit: int = 5) -> list[Row]:
        """Return a customer's most recent orders, newest first."""
        ...

    def list_tickets(self, customer_id: str, limit: int = 5) -> list[Row]:
        """Return a customer's most recent support tickets, newest first."""
        ...

    def find_slots(self, kind: str, after: datetime, limit: int = 5) -> list[Row]:
        """Return free appointment slots of ``kind`` starting after ``after``."""
        ...

    def search_products(
        self, terms: list[str], category: str | None, max_price: float | None, limit: int = 5
    ) -> list[Row]:
        """Return products matching any of ``terms`` within category and budget."""
        ...


class SqlStoreBackend:
    """``StoreBackend`` over SQLAlchemy."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> SqlStoreBackend:
        """Open a backend on a database URL (``sqlite:///…`` or ``postgresql://…``)."""
        return cls(create_engine(url, future=True))

    def get_customer(self, customer_id: str) -> Row | None:
        """See ``StoreBackend``."""
        c, a = schema.customers, schema.addresses
        with self.engine.connect() as conn:
            row = conn.execute(select(c).where(c.c.id == customer_id)).mappings().first()
            if row is None:
                return None
            address = (
                conn.execute(select(a).where(a.c.customer_id == customer_id)).mappings().first()
            )
        profile = _plain(row)
        profile["address"] = _plain(address, drop=("id", "customer_id")) if address else None
        return profile

    def get_order(self, order_id: str) -> Row | None:
        """See ``StoreBackend``."""
        o, ln, p = schema.orders, schema.order_lines, schema.products
        s, ev, c = schema.shipments, schema.tracking_events, schema.customers
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(o, c.c.email)
                    .join(c, c.c.id == o.c.customer_id)
                    .where(o.c.id == order_id.strip().upper())
                )
                .mappings()
                .first()
            )
            if row is None:
                return None
            order = _plain(row)
            order["lines"] = [
                _plain(r)
                for r in conn.execute(
                    select(
                        p.c.id.label("product_id"),
                        p.c.name,
                        p.c.category,
                        ln.c.quantity,
                        ln.c.unit_price,
                    )  # noqa: E501
                    .join(p, p.c.id == ln.c.product_id)
                    .where(ln.c.order_id == order["id"])
                ).mappings()
            ]
            shipment = conn.execute(select(s).where(s.c.order_id == order["id"])).mappings().first()
            order["shipment"] = None
            if shipment:
                order["shipment"] = _plain(shipment, drop=("id", "order_id"))
                order["shipment"]["events"] = [
                    _plain(r, drop=("id", "shipment_id"))
                    for r in conn.execute(
                        select(ev).where(ev.c.shipment_id == shipment["id"]).order_by(ev.c.at)
                    ).mappings()
                ]
        return order

    def list_orders(self, customer_id: str, limit: int = 5) -> list[Row]:
        """See ``StoreBackend``."""
        o = schema.orders
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(o.c.id, o.c.status, o.c.placed_at, o.c.total)
                .where(o.c.customer_id == customer_id)
                .order_by(o.c.placed_at.desc())
                .limit(limit)
            ).mappings()
            return [_plain(r) for r in rows]

    def list_tickets(self, customer_id: str, limit: int = 5) -> list[Row]:
        """See ``StoreBackend``."""
        t = schema.tickets
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t)
                .where(t.c.customer_id == customer_id)
                .order_by(t.c.created_at.desc())
                .limit(limit)  # noqa: E501
            ).mappings()
            return [_plain(r, drop=("customer_id",)) for r in rows]

    def find_slots(self, kind: str, after: datetime, limit: int = 5) -> list[Row]:
        """See ``StoreBackend``."""
        sl, te = schema.appointment_slots, schema.technicians
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    sl.c.id, sl.c.kind, sl.c.starts_at, sl.c.ends_at, te.c.name.label("technician")
                )  # noqa: E501
                .join(te, te.c.id == sl.c.technician_id)
                .where(sl.c.kind == kind, sl.c.starts_at > after, sl.c.booked_by.is_(None))
                .order_by(sl.c.starts_at)
                .limit(limit)
            ).mappings()
            return [_plain(r) for r in rows]

    def search_products(
        self, terms: list[str], category: str | None, max_price: float | None, limit: int = 5
    ) -> list[Row]:
        """See ``StoreBackend``."""
        p = schema.products
        query = select(p.c.id, p.c.name, p.c.category, p.c.price, p.c.description)
        if category:
            query = query.where(p.c.category == category)
        if max_price is not None:
            query = query.where(p.c.price <= max_price)
        if terms:
            query = query.where(or_(*[p.c.description.ilike(f"%{t}%") for t in terms]))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(p.c.price).limit(limit)).mappings()
            return [_plain(r) for r in rows]


def _plain(row: Any, drop: tuple[str, ...] = ()) -> Row:
    """Turn a result row into a JSON-friendly dict."""
    out: Row = {}
    for key, value in dict(row).items():
        if key in drop:
            continue
        out[key] = value.isoformat(timespec="minutes") if isinstance(value, datetime) else value
    return out
