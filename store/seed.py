"""Deterministic demo data: the same database for the same seed and day."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, inspect, select

from store import schema
from store.policy import ORDER_STATUSES, SLOT_HOURS

FIRST = "Ava Ben Chloe Diego Emma Farah Gus Hana Ivan Jade Kofi Lena Malik Nora Omar Priya Quinn Rosa Sam Tara Umar Vera Wes Yara Zane".split()  # noqa: E501
LAST = "Thompson Okafor Nguyen Garcia Müller Rossi Kowalski Haddad Silva Chen Johansson Patel Dubois Kim Novak".split()  # noqa: E501
CITIES = [
    ("Portland", "OR"),
    ("Austin", "TX"),
    ("Denver", "CO"),
    ("Columbus", "OH"),
    ("Raleigh", "NC"),
]  # noqa: E501
CATEGORIES: dict[str, tuple[list[str], tuple[int, int], list[str]]] = {
    "refrigerator": (
        ["French-door", "Side-by-side", "Top-freezer", "Counter-depth"],
        (899, 3299),
        ["capacity_cu_ft", "ice_maker", "energy_star"],
    ),  # noqa: E501
    "washer": (
        ["Front-load", "Top-load", "Compact", "Smart"],
        (549, 1499),
        ["capacity_cu_ft", "steam", "energy_star"],
    ),  # noqa: E501
    "dryer": (
        ["Electric", "Gas", "Heat-pump", "Compact"],
        (499, 1399),
        ["capacity_cu_ft", "steam", "vented"],
    ),  # noqa: E501
    "dishwasher": (
        ["Quiet", "Stainless", "Third-rack", "Compact"],
        (449, 1299),
        ["noise_db", "third_rack", "energy_star"],
    ),  # noqa: E501
    "range": (
        ["Induction", "Gas", "Electric", "Dual-fuel"],
        (699, 2999),
        ["burners", "convection", "self_clean"],
    ),  # noqa: E501
    "freezer": (
        ["Chest", "Upright", "Garage-ready"],
        (299, 1199),
        ["capacity_cu_ft", "frost_free"],
    ),  # noqa: E501
    "microwave": (["Countertop", "Over-the-range", "Drawer"], (99, 999), ["watts", "sensor_cook"]),  # noqa: E501
    "vacuum": (["Cordless", "Robot", "Upright", "Canister"], (129, 899), ["runtime_min", "hepa"]),  # noqa: E501
    "coffee_maker": (["Espresso", "Drip", "Pod", "Bean-to-cup"], (49, 1499), ["cups", "grinder"]),  # noqa: E501
    "air_purifier": (["HEPA", "Smart", "Tower"], (99, 699), ["room_sq_ft", "hepa"]),
}
BRANDS = ["Northwind", "Halcyon", "Kestrel", "Lumen", "Arbor", "Vale"]
SHIPPING = ["standard", "express", "scheduled"]
TICKET_SUBJECTS = [
    "Dent on delivered fridge door",
    "Washer making loud noise",
    "Refund not received yet",
    "Wrong colour delivered",
    "Installer missed appointment",
    "Dishwasher not draining",
]
DEMO_CUSTOMERS = [
    ("C0001", "Ava Thompson", "ava.thompson@example.com"),
    ("C0002", "Ben Okafor", "ben.okafor@example.com"),
    ("C0003", "Chloe Nguyen", "chloe.nguyen@example.com"),
]


def is_empty(engine: Engine) -> bool:
    """Whether the store has no customers yet (or no tables at all)."""
    if not inspect(engine).has_table(schema.customers.name):
        return True
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.customers)).scalar_one() == 0


def needs_seed(engine: Engine) -> bool:
    """Whether the demo store must be (re)created.

    Empty, or made by an older version that lacks some of today's tables (demo
    data only; a real store would migrate).
    """
    existing = set(inspect(engine).get_table_names())
    return is_empty(engine) or not set(schema.metadata.tables) <= existing


def seed(
    engine: Engine,
    *,
    seed_value: int = 7,
    today: date | None = None,
    customers: int = 200,
    orders: int = 1200,
) -> dict[str, int]:
    """Create the tables and fill them with demo data; return row counts."""
    rng = random.Random(seed_value)
    today = today or date.today()
    now = datetime.combine(today, time(9, 0))
    schema.metadata.drop_all(engine)
    schema.metadata.create_all(engine)

    people: list[dict[str, Any]] = []
    for i in range(customers):
        if i < len(DEMO_CUSTOMERS):
            cid, name, email = DEMO_CUSTOMERS[i]
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            cid = f"C{i + 1:04d}"
            email = f"{name.lower().replace(' ', '.').replace('ü', 'u')}{i + 1}@example.com"
        people.append(
            {
                "id": cid,
                "name": name,
                "email": email,
                "phone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                "contact_preference": rng.choice(["email", "sms", "phone", "email,sms"]),
                "created_at": now - timedelta(days=rng.randint(30, 1500)),
            }
        )
    addresses = []
    for person in people:
        city, state = rng.choice(CITIES)
        addresses.append(
            {
                "customer_id": person["id"],
                "line1": f"{rng.randint(10, 9999)} {rng.choice(['Oak', 'Elm', 'Pine', 'Cedar', 'Maple'])} {rng.choice(['St', 'Ave', 'Rd'])}",  # noqa: E501
                "city": city,
                "state": state,
                "postal_code": f"{rng.randint(10000, 99999)}",
            }
        )

    catalogue: list[dict[str, Any]] = []
    for category, (styles, (low, high), spec_keys) in CATEGORIES.items():
        for n in range(16):
            style = styles[n % len(styles)]
            brand = BRANDS[(n + len(category)) % len(BRANDS)]
            price = round(rng.uniform(low, high), -1) - 0.01
            specs = {key: _spec_value(rng, key) for key in spec_keys}
            catalogue.append(
                {
                    "id": f"P{len(catalogue) + 1:04d}",
                    "name": f"{brand} {style} {category.replace('_', ' ').title()} {100 + n * 7}",
                    "category": category,
                    "brand": brand,
                    "price": price,
                    "description": f"{style} {category.replace('_', ' ')} by {brand}. "
                    + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in specs.items()),
                    "specs": specs,
                    "final_sale": int(n % 13 == 12),
                }
            )

    order_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    shipment_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    for i in range(orders):
        # The demo customers get one order in every state, the rest is random.
        if i < len(DEMO_CUSTOMERS) * len(ORDER_STATUSES):
            person = people[i // len(ORDER_STATUSES)]
            status = ORDER_STATUSES[i % len(ORDER_STATUSES)]
        else:
            person = rng.choice(people)
            status = rng.choices(ORDER_STATUSES, weights=[5, 8, 10, 4, 60, 7, 6])[0]
        age = {
            "pending": (0, 1),
            "processing": (0, 3),
            "shipped": (2, 6),
            "out_for_delivery": (3, 8),
        }.get(status, (5, 120))  # noqa: E501
        placed = now - timedelta(days=rng.randint(*age), hours=rng.randint(0, 12))
        oid = f"BS-{100001 + i}"
        lines = rng.sample(catalogue, k=rng.choice([1, 1, 1, 2, 3]))
        total = 0.0
        for product in lines:
            qty = 1 if product["price"] > 300 else rng.choice([1, 1, 2])
            total += qty * product["price"]
            line_rows.append(
                {
                    "order_id": oid,
                    "product_id": product["id"],
                    "quantity": qty,
                    "unit_price": product["price"],
                }  # noqa: E501
            )
        delivered = None
        if status in {"delivered", "returned"}:
            delivered = placed + timedelta(days=rng.randint(2, 7))
        if status == "delivered" and i < len(DEMO_CUSTOMERS) * len(ORDER_STATUSES):
            delivered = now - timedelta(days=10)  # inside the return window
        order_rows.append(
            {
                "id": oid,
                "customer_id": person["id"],
                "status": status,
                "placed_at": placed,
                "delivered_at": delivered,
                "shipping_method": rng.choice(SHIPPING),
                "total": round(total, 2),
            }
        )
        if status in {"shipped", "out_for_delivery", "delivered", "returned"}:
            shipment_id = len(shipment_rows) + 1
            shipped_at = placed + timedelta(days=1)
            eta = delivered or (now + timedelta(days=rng.randint(1, 4)))
            shipment_rows.append(
                {
                    "id": shipment_id,
                    "order_id": oid,
                    "carrier": rng.choice(["UPS", "FedEx", "Brightside Fleet"]),
                    "tracking_number": f"1Z{rng.randint(10**9, 10**10 - 1)}",
                    "estimated_delivery": eta,
                }
            )
            steps = [(shipped_at, "Shipped from warehouse", "Reno, NV")]
            if status != "shipped":
                steps.append((shipped_at + timedelta(days=1), "In transit", "Regional hub"))
            if status in {"out_for_delivery", "delivered", "returned"}:
                steps.append((eta - timedelta(hours=6), "Out for delivery", "Local depot"))
            if delivered:
                steps.append((delivered, "Delivered", "Front door"))
            for at, description, location in steps:
                event_rows.append(
                    {
                        "shipment_id": shipment_id,
                        "at": at,
                        "description": description,
                        "location": location,
                    }  # noqa: E501
                )

    extra = _demo_extras(now, catalogue, len(order_rows))
    order_rows += extra["orders"]
    line_rows += extra["lines"]
    return_rows = [
        {
            "id": f"R-{7001 + n}",
            "order_id": order["id"],
            "reason": rng.choice(["changed_mind", "faulty", "damaged"]),
            "status": "refunded",
            "refund_amount": order["total"],
            "collection_fee": 0.0,
            "refund_status": "needs_review" if order["total"] > 1000 else "auto_approved",
            "created_at": order["delivered_at"] + timedelta(days=rng.randint(1, 20)),
        }
        for n, order in enumerate(o for o in order_rows if o["status"] == "returned")
    ]

    ticket_rows = []
    comment_rows = []
    for i in range(150):
        person = people[i % 3] if i < 3 else rng.choice(people)
        created = now - timedelta(days=rng.randint(0, 60))
        ticket_rows.append(
            {
                "id": f"T-{5001 + i}",
                "customer_id": person["id"],
                "subject": rng.choice(TICKET_SUBJECTS),
                "status": rng.choice(["open", "pending", "resolved"]),
                "created_at": created,
                "updated_at": created + timedelta(days=rng.randint(0, 3)),
            }
        )
        ticket = ticket_rows[-1]
        comment_rows.append(
            {
                "ticket_id": ticket["id"],
                "author": "customer",
                "body": f"{ticket['subject']}. Please help.",
                "created_at": created,
            }
        )
        if ticket["status"] != "open":
            comment_rows.append(
                {
                    "ticket_id": ticket["id"],
                    "author": "agent",
                    "body": "Thanks, we're looking into it and will update you here."
                    if ticket["status"] == "pending"
                    else "This is sorted now; reply here if anything else comes up.",
                    "created_at": ticket["updated_at"],
                }
            )

    techs = [
        {"id": f"TECH{n:02d}", "name": name, "skills": skills}
        for n, (name, skills) in enumerate(
            [
                ("Marco Diaz", ["installation", "repair"]),
                ("Li Wei", ["installation"]),
                ("Sara Ahmed", ["repair"]),
                ("Tom Becker", ["installation", "repair"]),
            ],
            start=1,
        )
    ]
    slots = []
    for day in range(1, 31):
        d = today + timedelta(days=day)
        if d.weekday() == 6:  # closed on Sundays
            continue
        for tech in techs:
            for hour in SLOT_HOURS:
                if rng.random() < 0.55:
                    continue
                start = datetime.combine(d, time(hour))
                slots.append(
                    {
                        "id": f"S-{d:%Y%m%d}-{hour:02d}-{tech['id']}",
                        "technician_id": tech["id"],
                        "kind": rng.choice(tech["skills"]),
                        "starts_at": start,
                        "ends_at": start + timedelta(hours=2),
                        "booked_by": rng.choice(people)["id"] if rng.random() < 0.3 else None,
                    }
                )

    booking_rows = _demo_bookings(now, slots, extra["installed_order"])

    with engine.begin() as conn:
        for table, rows in [
            (schema.customers, people),
            (schema.addresses, addresses),
            (schema.products, catalogue),
            (schema.orders, order_rows),
            (schema.order_lines, line_rows),
            (schema.shipments, shipment_rows),
            (schema.tracking_events, event_rows),
            (schema.tickets, ticket_rows),
            (schema.technicians, techs),
            (schema.appointment_slots, slots),
            (schema.returns, return_rows),
            (schema.ticket_comments, comment_rows),
            (schema.bookings, booking_rows),
        ]:
            conn.execute(insert(table), rows)
    return {
        "customers": len(people),
        "products": len(catalogue),
        "orders": len(order_rows),
        "tickets": len(ticket_rows),
        "appointment_slots": len(slots),
        "bookings": len(booking_rows),
        "returns": len(return_rows),
    }


def _demo_extras(now: datetime, catalogue: list[dict[str, Any]], count: int) -> dict[str, Any]:
    """Delivered orders that show each return rule, numbered after the random ones.

    Ava (C0001): outside the window, a final-sale item, a refund above the
    automatic limit. Ben (C0002): an installed washer.
    """

    def first(pred: Any) -> dict[str, Any]:
        return next(p for p in catalogue if pred(p))

    fridge = first(lambda p: p["category"] == "refrigerator" and p["price"] > 1500)
    clearance = first(lambda p: p["final_sale"] and p["price"] < 600)
    kettle_like = first(lambda p: p["category"] == "coffee_maker" and not p["final_sale"])
    washer = first(lambda p: p["category"] == "washer" and not p["final_sale"])
    plans = [
        ("C0001", kettle_like, 45),  # delivered 45 days ago: outside the window
        ("C0001", clearance, 5),  # final sale
        ("C0001", fridge, 8),  # refund above 1,000 USD
        ("C0002", washer, 12),  # installed (see _demo_bookings)
    ]
    orders, lines = [], []
    for n, (customer_id, product, days) in enumerate(plans):
        delivered = now - timedelta(days=days)
        oid = f"BS-{100001 + count + n}"
        orders.append(
            {
                "id": oid,
                "customer_id": customer_id,
                "status": "delivered",
                "placed_at": delivered - timedelta(days=4),
                "delivered_at": delivered,
                "shipping_method": "scheduled",
                "total": product["price"],
            }
        )
        lines.append(
            {
                "order_id": oid,
                "product_id": product["id"],
                "quantity": 1,
                "unit_price": product["price"],
            }
        )
    return {"orders": orders, "lines": lines, "installed_order": orders[-1]["id"]}


def _demo_bookings(
    now: datetime, slots: list[dict[str, Any]], installed_order: str
) -> list[dict[str, Any]]:
    """Ben's completed installation, and an upcoming visit for Ava and for Ben."""
    bookings = [
        {
            "id": "B-3001",
            "customer_id": "C0002",
            "slot_id": None,
            "order_id": installed_order,
            "kind": "installation",
            "status": "completed",
            "fee": 0.0,
            "created_at": now - timedelta(days=14),
        }
    ]
    free = [s for s in slots if s["booked_by"] is None]
    # The completed visit needs a slot row of its own, in the past.
    past = dict(free[0])
    past.update(
        id="S-PAST-0001",
        starts_at=now - timedelta(days=11, hours=1),
        ends_at=now - timedelta(days=11) + timedelta(hours=1),
        booked_by="C0002",
    )
    slots.append(past)
    bookings[0]["slot_id"] = past["id"]
    wanted = [
        ("C0001", "installation", 5, "B-3002", "BS-100005"),
        ("C0002", "repair", 3, "B-3003", "BS-100012"),
    ]
    for customer_id, kind, min_days, booking_id, order_id in wanted:
        slot = next(
            s
            for s in free
            if s["kind"] == kind
            and s["booked_by"] is None
            and s["starts_at"] > now + timedelta(days=min_days)
        )
        slot["booked_by"] = customer_id
        bookings.append(
            {
                "id": booking_id,
                "customer_id": customer_id,
                "slot_id": slot["id"],
                "order_id": order_id,
                "kind": kind,
                "status": "booked",
                "fee": 0.0,
                "created_at": now - timedelta(days=1),
            }
        )
    return bookings


def _spec_value(rng: random.Random, key: str) -> Any:
    if key.startswith(
        (
            "ice_",
            "energy",
            "steam",
            "vented",
            "third",
            "convection",
            "self_",
            "frost",
            "sensor",
            "hepa",
            "grinder",
        )
    ):  # noqa: E501
        return rng.choice([True, False])
    ranges = {
        "capacity_cu_ft": (3, 28),
        "noise_db": (39, 52),
        "burners": (4, 6),
        "watts": (700, 1250),
        "runtime_min": (30, 90),
        "cups": (1, 14),
        "room_sq_ft": (200, 1200),
    }  # noqa: E501
    low, high = ranges.get(key, (1, 10))
    return rng.randint(low, high)
