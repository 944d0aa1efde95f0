"""Triage: intent (with out-of-scope), emergency, sentiment and language of a message.

``train`` fine-tunes the triage model on JSONL data into a model directory;
``ModelTriage`` loads it and triages a message in about 15-25 ms on 2 CPU cores.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any, Protocol

from sklearn.metrics import f1_score

from graph.state import Triage
from store.embeddings import default_threads, model_dir
from triage.data import NO_EMERGENCY, OOS, Example, load_jsonl
from triage.models import FORMAT_VERSION, TrainConfig, TriageNet
from triage.signals import LanguageGuesser, Sentiment

log = logging.getLogger("supportgraph.triage")

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "triage"
BUNDLED = {
    "intents_train": DATA_DIR / "intents_train.jsonl",
    "intents_test": DATA_DIR / "intents_test.jsonl",
    "emergency_train": DATA_DIR / "emergency_train.jsonl",
    "emergency_test": DATA_DIR / "emergency_test.jsonl",
}


class Triager(Protocol):
    """Anything that triages one customer message."""

    def triage(self, text: str, previous_language: str | None = None) -> Triage:
        """Intent, confidence, emergency, sentiment and language of ``text``."""
        ...


class ModelTriage:
    """The trained triage model plus VADER sentiment and lingua language detection."""

    def __init__(self, net: TriageNet) -> None:
        self.net = net
        self.sentiment = Sentiment()
        self.language = LanguageGuesser()

    @classmethod
    def load(cls, directory: Path) -> ModelTriage:
        """Load a model directory written by ``train``."""
        return cls(TriageNet.load(directory))

    def triage(self, text: str, previous_language: str | None = None) -> Triage:
        """Triage one message."""
        prediction = self.net.predict([text])[0]
        return Triage(
            intent=prediction.intent,
            confidence=prediction.confidence,
            emergency=prediction.emergency,
            sentiment=self.sentiment.score(text),
            language=self.language.guess(text, default=previous_language or "en"),
        )


def fingerprint(intents: list[Example], emergencies: list[Example]) -> str:
    """SHA-256 of the training examples, to tell which data a model was trained on."""
    digest = hashlib.sha256()
    for name, examples in (("intents", intents), ("emergencies", emergencies)):
        digest.update(name.encode())
        for example in examples:
            digest.update(json.dumps([example.text, example.label]).encode() + b"\n")
    return digest.hexdigest()


def train(
    intents: list[Example],
    emergencies: list[Example],
    out: Path,
    config: TrainConfig | None = None,
    *,
    source: str = "custom",
) -> dict[str, Any]:
    """Fine-tune the triage model on the examples, save it to ``out``, return a report.

    ``source`` is recorded in ``info.json`` with the data's fingerprint: ``bundled``
    models are retrained by ``load_or_train`` when the bundled data changes, others never.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    started = time.perf_counter()
    encoder = SentenceTransformer(str(model_dir()), device="cpu")
    # The server's Embedder keeps torch at one thread for queries; training uses them all.
    threads = torch.get_num_threads()
    torch.set_num_threads(default_threads())
    try:
        net, report = TriageNet.train(encoder, intents, emergencies, config, log=log.info)
    finally:
        torch.set_num_threads(threads)
    report = {
        **report,
        "intent_examples": len(intents),
        "emergency_examples": len(emergencies),
        "base_encoder": "all-MiniLM-L6-v2",
        "train_seconds": round(time.perf_counter() - started, 1),
        "data_sha256": fingerprint(intents, emergencies),
        "source": source,
    }
    net.save(out, report)
    return report


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 2)


def evaluate_intents(net: TriageNet, examples: list[Example]) -> dict[str, Any]:
    """Accuracy, macro-F1, in-scope accuracy, out-of-scope recall/precision, latency.

    Latency is per message, one at a time, as the graph calls it.
    """
    predicted, latencies = [], []
    for example in examples:
        start = time.perf_counter()
        predicted.append(net.predict([example.text])[0].intent)
        latencies.append((time.perf_counter() - start) * 1000)
    gold = [e.label for e in examples]
    pairs = list(zip(gold, predicted, strict=True))
    in_scope = [(g, p) for g, p in pairs if g != OOS]
    oos_gold = [p for g, p in pairs if g == OOS]
    oos_predicted = [g for g, p in pairs if p == OOS]
    return {
        "examples": len(examples),
        "accuracy": round(sum(g == p for g, p in pairs) / len(pairs), 4),
        "macro_f1": round(float(f1_score(gold, predicted, average="macro")), 4),
        "in_scope_accuracy": round(sum(g == p for g, p in in_scope) / max(len(in_scope), 1), 4),
        "oos_recall": round(sum(p == OOS for p in oos_gold) / max(len(oos_gold), 1), 4),
        "oos_precision": round(
            sum(g == OOS for g in oos_predicted) / max(len(oos_predicted), 1), 4
        ),
        "p50_ms": _percentile(latencies, 0.5),
        "p95_ms": _percentile(latencies, 0.95),
    }


def evaluate_emergencies(net: TriageNet, examples: list[Example]) -> dict[str, Any]:
    """Recall, false-positive rate, precision and kind accuracy of emergency detection."""
    predicted = [p.emergency for p in net.predict([e.text for e in examples])]
    pairs = list(zip(examples, predicted, strict=True))
    positives = [(e.label, p) for e, p in pairs if e.label != NO_EMERGENCY]
    negatives = [p for e, p in pairs if e.label == NO_EMERGENCY]
    caught = [(g, p) for g, p in positives if p is not None]
    false_alarms = sum(p is not None for p in negatives)
    missed: dict[str, int] = {}
    for gold, pred in positives:
        if pred is None:
            missed[gold] = missed.get(gold, 0) + 1
    return {
        "positives": len(positives),
        "negatives": len(negatives),
        "recall": round(len(caught) / max(len(positives), 1), 4),
        "false_positive_rate": round(false_alarms / max(len(negatives), 1), 4),
        "precision": round(len(caught) / max(len(caught) + false_alarms, 1), 4),
        "kind_accuracy": round(sum(g == p for g, p in caught) / max(len(caught), 1), 4),
        "missed_by_kind": missed,
    }


def training_reason(directory: Path) -> str | None:
    """Why ``load_or_train`` would train before loading ``directory``; ``None`` if it won't.

    It trains when ``directory`` holds no model, and retrains when the model there was
    trained on an older version of the bundled data (or before models recorded their
    data), or is of an older format (before the dedicated emergency encoder). A model
    trained on other data (``supportgraph triage train``) is never retrained.
    """
    info_path = directory / "info.json"
    if not info_path.exists():
        return f"training the triage model into {directory} (first start)"
    info = json.loads(info_path.read_text())
    if info.get("source", "bundled") != "bundled":
        return None
    bundled = fingerprint(
        load_jsonl(BUNDLED["intents_train"]), load_jsonl(BUNDLED["emergency_train"])
    )
    if info.get("data_sha256") != bundled:
        return (
            f"the bundled triage data changed since {directory} was trained: retraining it "
            f"(the old model is kept as {directory.name}.previous)"
        )
    if info.get("format_version", FORMAT_VERSION) < FORMAT_VERSION:
        return (
            f"{directory} holds a triage model of an older format: retraining it "
            f"(the old model is kept as {directory.name}.previous)"
        )
    return None


def load_or_train(directory: Path) -> ModelTriage:
    """Load the triage model, training it from the bundled data first if needed.

    See ``training_reason`` for when it trains (25-50 minutes on 2 cores). The old model
    is kept beside it as ``<directory>.previous``.
    """
    reason = training_reason(directory)
    if reason is None:
        return ModelTriage.load(directory)
    log.info("%s: 25-50 minutes on 2 cores", reason)
    intents = load_jsonl(BUNDLED["intents_train"])
    emergencies = load_jsonl(BUNDLED["emergency_train"])
    fresh = directory.with_name(directory.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    report = train(intents, emergencies, fresh, source="bundled")
    if directory.exists():
        previous = directory.with_name(directory.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        directory.rename(previous)
    fresh.rename(directory)
    log.info("triage model trained: %s", report)
    return ModelTriage.load(directory)


__all__ = [
    "BUNDLED",
    "ModelTriage",
    "TrainConfig",
    "Triager",
    "evaluate_emergencies",
    "evaluate_intents",
    "fingerprint",
    "load_or_train",
    "train",
    "training_reason",
]
