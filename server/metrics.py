"""Prometheus metrics of one app (its own registry, so tests can build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120)


class Metrics:
    """Turns, latency, time to first token, handoffs and errors."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.turns = Counter("supportgraph_turns", "Turns run", ["kind"], registry=self.registry)
        self.turn_seconds = Histogram(
            "supportgraph_turn_seconds", "Turn latency", buckets=BUCKETS, registry=self.registry
        )
        self.first_token_seconds = Histogram(
            "supportgraph_first_token_seconds",
            "Time to the first streamed token",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.handoffs = Counter(
            "supportgraph_handoffs",
            "Conversations handed to a person",
            ["reason"],
            registry=self.registry,
        )
        self.errors = Counter(
            "supportgraph_errors", "Errors by code", ["code"], registry=self.registry
        )

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
