"""Tables of the demo store (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

customers = Table(
    "customers",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("email", String, nullable=False, unique=True),
    Column("phone", String),
    Column(
        "contact_preference",
        String,
        nullable=False,
        default="email",
        comment="Comma-separated channels: email, sms, phone.",
    ),
    Column("created_at", DateTime, nullable=False),
)

addresses = Table(
    "addresses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("line1", String, nullable=False),
    Column("city", String, nullable=False),
    Column("state", String, nullable=False),
    Column("postal_code", String, nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("category", String, nullable=False, index=True),
    Column("brand", String, nullable=False),
    Column("price", Float, nullable=False),
    Column("description", Text, nullable=False),
    Column("specs", JSON, nullable=False),
    Column("final_sale", Integer, nullable=False, default=0),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("status", String, nullable=False),
    Column("placed_at", DateTime, nullable=False),
    Column("delivered_at", DateTime),
    Column("shipping_method", String, nullable=False),
    Column("total", Float, nullable=False),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Float, nullable=False),
)

shipments = Table(
    "shipments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("carrier", String, nullable=False),
    Column("tracking_number", String, nullable=False),
    Column("estimated_delivery", DateTime),
)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shipment_id", ForeignKey("shipments.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("description", String, nullable=False),
    Column("location", String, nullable=False),
)

returns = Table(
    "returns",
    metadata,
    Column("id", String, primary_key=True),
    Column("order_id", ForeignKey("orders.id"), nullable=False, index=True),
    Column("reason", String, nullable=False),
    Column("status", String, nullable=False, comment="requested, received, refunded"),
    Column("refund_amount", Float, nullable=False),
    Column("collection_fee", Float, nullable=False, default=0.0),
    Column("refund_status", String, nullable=False, comment="auto_approved, needs_review"),
    Column("created_at", DateTime, nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("order_id", ForeignKey("orders.id")),
    Column("subject", String, nullable=False),
    Column("status", String, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

technicians = Table(
    "technicians",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("skills", JSON, nullable=False),
)

appointment_slots = Table(
    "appointment_slots",
    metadata,
    Column("id", String, primary_key=True),
    Column("technician_id", ForeignKey("technicians.id"), nullable=False),
    Column("kind", String, nullable=False),
    Column("starts_at", DateTime, nullable=False, index=True),
    Column("ends_at", DateTime, nullable=False),
    Column("booked_by", ForeignKey("customers.id")),
)


ticket_comments = Table(
    "ticket_comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False, index=True),
    Column("author", String, nullable=False, comment="customer, agent or assistant"),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

bookings = Table(
    "bookings",
    metadata,
    Column("id", String, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False, index=True),
    Column("slot_id", ForeignKey("appointment_slots.id"), nullable=False),
    Column("order_id", ForeignKey("orders.id")),
    Column("kind", String, nullable=False),
    Column("status", String, nullable=False, comment="booked, completed, cancelled"),
    Column("fee", Float, nullable=False, default=0.0, comment="Late-change fee charged"),
    Column("created_at", DateTime, nullable=False),
)

interactions = Table(
    "interactions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", String, index=True),
    Column("action", String, nullable=False),
    Column("action_id", String, unique=True, comment="Idempotency key (the tool call id)"),
    Column("detail", JSON, nullable=False),
    Column("at", DateTime, nullable=False),
)

agent_actions = Table(
    "agent_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("agent", String, nullable=False),
    Column("role", String, nullable=False),
    Column("action", String, nullable=False, comment="claim, approve, edit, respond, …"),
    Column("handoff_id", String, nullable=False, index=True),
    Column("thread_id", String, nullable=False, index=True),
    Column("detail", JSON, nullable=False),
    Column("at", DateTime, nullable=False),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("thread_id", String, nullable=False, index=True),
    Column("message_id", String, nullable=False),
    Column("score", Integer, nullable=False, comment="1 helpful, -1 not helpful"),
    Column("comment", Text),
    Column("run_id", String, comment="The LangSmith run that produced the message"),
    Column("created_at", DateTime, nullable=False, comment="When the score was last given"),
    UniqueConstraint("thread_id", "message_id", name="uq_feedback_message"),
)
