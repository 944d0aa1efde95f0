"""Latency of a whole triage step per message, model loaded, on this machine.

Loads the triage model from DATA_DIR/triage (training it from the bundled data
first if it is missing), then triages every message of the held-out intent and
emergency splits one at a time: the two fine-tuned MiniLMs (joint, and emergency-only
when the model has one) on ONNX Runtime, their heads, the TF-IDF models, VADER
sentiment and lingua language detection. Prints p50/p95/max in ms, then the median
share of each part.

    python bench/triage.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.settings import get_settings  # noqa: E402
from triage import BUNDLED, load_or_train  # noqa: E402
from triage.data import load_jsonl  # noqa: E402


def main() -> None:
    started = time.perf_counter()
    triager = load_or_train(get_settings().triage_model_dir)
    print(f"model ready in {time.perf_counter() - started:.1f} s")
    texts = [e.text for e in load_jsonl(BUNDLED["intents_test"])]
    texts += [e.text for e in load_jsonl(BUNDLED["emergency_test"])]
    for text in texts[:20]:  # warm-up
        triager.triage(text)
    latencies = []
    for text in texts:
        start = time.perf_counter()
        triager.triage(text)
        latencies.append((time.perf_counter() - start) * 1000)
    ordered = sorted(latencies)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    print(
        f"triage of {len(texts)} messages, one at a time: p50 {p50:.2f} ms  p95 {p95:.2f} ms  "
        f"mean {statistics.fmean(latencies):.2f} ms  max {max(latencies):.2f} ms "
        "(target p95 <= 30 ms)"
    )
    net = triager.net
    parts = {
        "joint encoder": lambda t: net.onnx.embed([t]) if net.onnx else None,
        "emergency encoder": lambda t: net.danger_onnx.embed([t]) if net.danger_onnx else None,
        "TF-IDF models": lambda t: (
            net.lexical_intent.predict_proba([t]),
            net.lexical_emergency.predict_proba([t]),
        ),
        "sentiment": triager.sentiment.score,
        "language": triager.language.guess,
    }
    for name, part in parts.items():
        times = []
        for text in texts[:500]:
            start = time.perf_counter()
            part(text)
            times.append((time.perf_counter() - start) * 1000)
        print(f"  {name}: p50 {statistics.median(times):.2f} ms")


if __name__ == "__main__":
    main()
