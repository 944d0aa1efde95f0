"""The store backend the tools talk to.

``StoreBackend`` is the whole contract: plain-dict, read-mostly methods that a
Shopify or HubSpot adapter could implement as well. ``SqlStoreBackend`` is the
default, over SQLite (or PostgreSQL through ``DATABASE_URL``).
Ownership is never decided here: the tools check it against the session.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, create_engine, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from store import policy, schema
from store.policy import Refusal

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

    def list_products(self) -> list[Row]:
        """Return the whole catalogue (for the recommender's index)."""
        ...

    def purchased_product_ids(self, customer_id: str) -> set[str]:
        """Return the ids of the products a customer has ordered."""
        ...

    def get_ticket(self, ticket_id: str) -> Row | None:
        """Return a ticket with its comments, or ``None``."""
        ...

    def get_slot(self, slot_id: str) -> Row | None:
        """Return one appointment slot, booked or not, or ``None``."""
        ...

    def list_bookings(self, customer_id: str, after: datetime) -> list[Row]:
        """Return a customer's booked visits starting after ``after``, soonest first."""
        ...

    # Actions. Each runs in one transaction, re-checks the policy against the
    # current data (raising ``Refusal``), logs an interaction, and is idempotent
    # on ``action_id``: the same id returns the first result and changes nothing.

    def cancel_order(self, order_id: str, *, customer_id: str, action_id: str) -> Row:
        """Cancel a pending or processing order."""
        ...

    def create_return(
        self, order_id: str, *, reason: str, now: datetime, customer_id: str, action_id: str
    ) -> Row:
        """Start a return of a delivered order, with its refund terms."""
        ...

    def update_contact(
        self, customer_id: str, *, channels: list[str], phone: str | None, action_id: str
    ) -> Row:
        """Set the contact channels (and optionally the phone number)."""
        ...

    def create_ticket(
        self,
        customer_id: str,
        *,
        subject: str,
        description: str,
        order_id: str | None,
        action_id: str,
    ) -> Row:
        """Open a support ticket with the description as its first comment."""
        ...

    def book_slot(
        self,
        customer_id: str,
        *,
        slot_id: str,
        order_id: str | None,
        now: datetime,
        action_id: str,
    ) -> Row:
        """Book a free slot; ``Refusal`` if it was taken meanwhile."""
        ...

    def reschedule_booking(
        self, customer_id: str, *, booking_id: str, slot_id: str, now: datetime, action_id: str
    ) -> Row:
        """Move a booking to another free slot, charging the late-change fee if due."""
        ...

    def cancel_booking(
        self, customer_id: str, *, booking_id: str, now: datetime, action_id: str
    ) -> Row:
        """Cancel a booking and free its slot, charging the late-change fee if due."""
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
                        p.c.final_sale,
                    )
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
            order["returns"] = [
                _plain(r, drop=("order_id",))
                for r in conn.execute(
                    select(schema.returns).where(schema.returns.c.order_id == order["id"])
                ).mappings()
            ]
            order["installed"] = _installed(conn, order["id"])
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
                .limit(limit)
            ).mappings()
            return [_plain(r, drop=("customer_id",)) for r in rows]

    def find_slots(self, kind: str, after: datetime, limit: int = 5) -> list[Row]:
        """See ``StoreBackend``."""
        sl, te = schema.appointment_slots, schema.technicians
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    sl.c.id, sl.c.kind, sl.c.starts_at, sl.c.ends_at, te.c.name.label("technician")
                )
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

    def list_products(self) -> list[Row]:
        """See ``StoreBackend``."""
        p = schema.products
        with self.engine.connect() as conn:
            rows = conn.execute(select(p).order_by(p.c.id)).mappings()
            return [_plain(r) for r in rows]

    def purchased_product_ids(self, customer_id: str) -> set[str]:
        """See ``StoreBackend``."""
        o, ln = schema.orders, schema.order_lines
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ln.c.product_id)
                .join(o, o.c.id == ln.c.order_id)
                .where(o.c.customer_id == customer_id)
                .distinct()
            )
            return {r[0] for r in rows}

    def get_ticket(self, ticket_id: str) -> Row | None:
        """See ``StoreBackend``."""
        t, tc = schema.tickets, schema.ticket_comments
        with self.engine.connect() as conn:
            row = (
                conn.execute(select(t).where(t.c.id == ticket_id.strip().upper()))
                .mappings()
                .first()
            )
            if row is None:
                return None
            ticket = _plain(row)
            ticket["comments"] = [
                _plain(r, drop=("id", "ticket_id"))
                for r in conn.execute(
                    select(tc).where(tc.c.ticket_id == ticket["id"]).order_by(tc.c.created_at)
                ).mappings()
            ]
        return ticket

    def get_slot(self, slot_id: str) -> Row | None:
        """See ``StoreBackend``."""
        with self.engine.connect() as conn:
            return _get_slot(conn, slot_id)

    def list_bookings(self, customer_id: str, after: datetime) -> list[Row]:
        """See ``StoreBackend``."""
        b, sl, te = schema.bookings, schema.appointment_slots, schema.technicians
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    b.c.id,
                    b.c.kind,
                    b.c.order_id,
                    b.c.slot_id,
                    sl.c.starts_at,
                    sl.c.ends_at,
                    te.c.name.label("technician"),
                )
                .join(sl, sl.c.id == b.c.slot_id)
                .join(te, te.c.id == sl.c.technician_id)
                .where(b.c.customer_id == customer_id, b.c.status == "booked")
                .where(sl.c.starts_at > after)
                .order_by(sl.c.starts_at)
            ).mappings()
            return [_plain(r) for r in rows]

    # -- actions -----------------------------------------------------------

    def cancel_order(self, order_id: str, *, customer_id: str, action_id: str) -> Row:
        """See ``StoreBackend``."""
        o = schema.orders

        def act(conn: Connection) -> Row:
            order = _owned(conn, order_id, customer_id)
            policy.cancel_terms(order)
            done = conn.execute(
                update(o)
                .where(o.c.id == order["id"], o.c.status.in_(policy.CANCELLABLE_STATUSES))
                .values(status="cancelled")
            )
            if done.rowcount != 1:  # changed between the read and the write
                raise Refusal(f"Order {order['id']} can no longer be cancelled.")
            return {"order_id": order["id"], "status": "cancelled", "was": order["status"]}

        return self._once("cancel_order", action_id, customer_id, act)

    def create_return(
        self, order_id: str, *, reason: str, now: datetime, customer_id: str, action_id: str
    ) -> Row:
        """See ``StoreBackend``."""
        r = schema.returns

        def act(conn: Connection) -> Row:
            order = _owned(conn, order_id, customer_id)
            order["lines"] = _lines(conn, order["id"])
            existing = conn.execute(
                select(func.count()).select_from(r).where(r.c.order_id == order["id"])
            ).scalar_one()
            terms = policy.return_terms(
                order,
                reason,
                now,
                installed=_installed(conn, order["id"]),
                existing_returns=existing,
            )
            return_id = _next_id(conn, r, "R-", 7001)
            status = "needs_review" if terms.needs_review else "auto_approved"
            conn.execute(
                insert(r).values(
                    id=return_id,
                    order_id=order["id"],
                    reason=reason,
                    status="requested",
                    refund_amount=terms.refund_amount,
                    collection_fee=terms.collection_fee,
                    refund_status=status,
                    created_at=now,
                )
            )
            return {
                "return_id": return_id,
                "order_id": order["id"],
                "refund_amount": terms.refund_amount,
                "collection_fee": terms.collection_fee,
                "refund_status": status,
            }

        return self._once("create_return", action_id, customer_id, act)

    def update_contact(
        self, customer_id: str, *, channels: list[str], phone: str | None, action_id: str
    ) -> Row:
        """See ``StoreBackend``."""
        c = schema.customers

        def act(conn: Connection) -> Row:
            values: Row = {"contact_preference": ",".join(channels)}
            if phone:
                values["phone"] = phone
            done = conn.execute(update(c).where(c.c.id == customer_id).values(**values))
            if done.rowcount != 1:
                raise Refusal("No such customer.")
            return {"customer_id": customer_id, "contact_preference": channels, "phone": phone}

        return self._once("update_contact", action_id, customer_id, act)

    def create_ticket(
        self,
        customer_id: str,
        *,
        subject: str,
        description: str,
        order_id: str | None,
        action_id: str,
    ) -> Row:
        """See ``StoreBackend``."""
        t, tc = schema.tickets, schema.ticket_comments

        def act(conn: Connection) -> Row:
            linked = _owned(conn, order_id, customer_id)["id"] if order_id else None
            now = datetime.now()
            ticket_id = _next_id(conn, t, "T-", 5001)
            conn.execute(
                insert(t).values(
                    id=ticket_id,
                    customer_id=customer_id,
                    order_id=linked,
                    subject=subject,
                    status="open",
                    created_at=now,
                    updated_at=now,
                )
            )
            conn.execute(
                insert(tc).values(
                    ticket_id=ticket_id, author="customer", body=description, created_at=now
                )
            )
            return {"ticket_id": ticket_id, "subject": subject, "status": "open"}

        return self._once("create_ticket", action_id, customer_id, act)

    def book_slot(
        self,
        customer_id: str,
        *,
        slot_id: str,
        order_id: str | None,
        now: datetime,
        action_id: str,
    ) -> Row:
        """See ``StoreBackend``."""

        def act(conn: Connection) -> Row:
            linked = _owned(conn, order_id, customer_id)["id"] if order_id else None
            slot = _claim_slot(conn, slot_id, customer_id, now)
            booking_id = _next_id(conn, schema.bookings, "B-", 3001)
            conn.execute(
                insert(schema.bookings).values(
                    id=booking_id,
                    customer_id=customer_id,
                    slot_id=slot["id"],
                    order_id=linked,
                    kind=slot["kind"],
                    status="booked",
                    fee=0.0,
                    created_at=now,
                )
            )
            return {"booking_id": booking_id, **_slot_facts(slot)}

        return self._once("book_slot", action_id, customer_id, act)

    def reschedule_booking(
        self, customer_id: str, *, booking_id: str, slot_id: str, now: datetime, action_id: str
    ) -> Row:
        """See ``StoreBackend``."""
        b = schema.bookings

        def act(conn: Connection) -> Row:
            booking, old = _owned_booking(conn, booking_id, customer_id)
            fee = policy.change_fee(old["starts_at"], now)
            new = _claim_slot(conn, slot_id, customer_id, now)
            if new["kind"] != booking["kind"]:
                raise Refusal(f"That slot is for {new['kind']}, not {booking['kind']}.")
            _free_slot(conn, old["id"])
            conn.execute(
                update(b)
                .where(b.c.id == booking["id"])
                .values(slot_id=new["id"], fee=booking["fee"] + fee)
            )
            return {"booking_id": booking["id"], "fee": fee, **_slot_facts(new)}

        return self._once("reschedule_booking", action_id, customer_id, act)

    def cancel_booking(
        self, customer_id: str, *, booking_id: str, now: datetime, action_id: str
    ) -> Row:
        """See ``StoreBackend``."""
        b = schema.bookings

        def act(conn: Connection) -> Row:
            booking, slot = _owned_booking(conn, booking_id, customer_id)
            fee = policy.change_fee(slot["starts_at"], now)
            _free_slot(conn, slot["id"])
            conn.execute(
                update(b)
                .where(b.c.id == booking["id"])
                .values(status="cancelled", fee=booking["fee"] + fee)
            )
            return {"booking_id": booking["id"], "status": "cancelled", "fee": fee}

        return self._once("cancel_booking", action_id, customer_id, act)

    def _once(
        self, action: str, action_id: str, customer_id: str, act: Callable[[Connection], Row]
    ) -> Row:
        """Run ``act`` in a transaction once per ``action_id``, logging the interaction."""
        i = schema.interactions
        for _attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    prior = conn.execute(
                        select(i.c.detail).where(i.c.action_id == action_id)
                    ).scalar()
                    if prior is not None:
                        return {**prior["result"], "replayed": True}
                    outcome = act(conn)
                    conn.execute(
                        insert(i).values(
                            customer_id=customer_id,
                            action=action,
                            action_id=action_id,
                            detail={"result": outcome},
                            at=datetime.now(),
                        )
                    )
                return outcome
            except IntegrityError:  # a concurrent run won the id; read its result
                continue
        raise RuntimeError(f"{action} {action_id} could not be recorded")


def _owned(conn: Connection, order_id: str | None, customer_id: str) -> Row:
    o = schema.orders
    wanted = (order_id or "").strip().upper()
    row = conn.execute(select(o).where(o.c.id == wanted)).mappings().first()
    if row is None or row["customer_id"] != customer_id:
        raise Refusal(f"No order {order_id} was found on this account.")
    return _plain(row)


def _lines(conn: Connection, order_id: str) -> list[Row]:
    ln, p = schema.order_lines, schema.products
    rows = conn.execute(
        select(p.c.id.label("product_id"), p.c.name, p.c.category, p.c.final_sale, ln.c.quantity)
        .join(p, p.c.id == ln.c.product_id)
        .where(ln.c.order_id == order_id)
    ).mappings()
    return [_plain(r) for r in rows]


def _installed(conn: Connection, order_id: str) -> bool:
    b = schema.bookings
    done = conn.execute(
        select(func.count())
        .select_from(b)
        .where(b.c.order_id == order_id, b.c.kind == "installation", b.c.status == "completed")
    ).scalar_one()
    return bool(done)


def _get_slot(conn: Connection, slot_id: str) -> Row | None:
    sl, te = schema.appointment_slots, schema.technicians
    row = (
        conn.execute(
            select(sl, te.c.name.label("technician"))
            .join(te, te.c.id == sl.c.technician_id)
            .where(sl.c.id == slot_id.strip().upper())
        )
        .mappings()
        .first()
    )
    return _plain(row) if row else None


def _claim_slot(conn: Connection, slot_id: str, customer_id: str, now: datetime) -> Row:
    sl = schema.appointment_slots
    slot = _get_slot(conn, slot_id)
    policy.booking_terms(slot, now)
    assert slot is not None
    done = conn.execute(
        update(sl)
        .where(sl.c.id == slot["id"], sl.c.booked_by.is_(None))
        .values(booked_by=customer_id)
    )
    if done.rowcount != 1:
        raise Refusal("Sorry, that slot has just been taken; offer the customer another one.")
    return slot


def _free_slot(conn: Connection, slot_id: str) -> None:
    sl = schema.appointment_slots
    conn.execute(update(sl).where(sl.c.id == slot_id).values(booked_by=None))


def _owned_booking(conn: Connection, booking_id: str, customer_id: str) -> tuple[Row, Row]:
    b = schema.bookings
    row = conn.execute(select(b).where(b.c.id == booking_id.strip().upper())).mappings().first()
    if row is None or row["customer_id"] != customer_id:
        raise Refusal(f"No appointment {booking_id} was found on this account.")
    if row["status"] != "booked":
        raise Refusal(f"Appointment {row['id']} is {row['status']}, so it can't be changed.")
    slot = _get_slot(conn, row["slot_id"])
    assert slot is not None
    return _plain(row), slot


def _slot_facts(slot: Row) -> Row:
    return {
        "slot_id": slot["id"],
        "kind": slot["kind"],
        "starts_at": slot["starts_at"],
        "ends_at": slot["ends_at"],
        "technician": slot["technician"],
    }


def _next_id(conn: Connection, table: Any, prefix: str, first: int) -> str:
    ids = conn.execute(select(table.c.id).where(table.c.id.like(f"{prefix}%"))).scalars()
    numbers = [int(i[len(prefix) :]) for i in ids if i[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=first - 1) + 1}"


def _plain(row: Any, drop: tuple[str, ...] = ()) -> Row:
    """Turn a result row into a JSON-friendly dict."""
    out: Row = {}
    for key, value in dict(row).items():
        if key in drop:
            continue
        out[key] = value.isoformat(timespec="minutes") if isinstance(value, datetime) else value
    return out
