"""The trained triage model on the held-out split: quality floors CI re-checks every run."""

import json
from pathlib import Path

import numpy as np
import pytest

from graph.state import Triage
from server.cli import main as cli
from triage import BUNDLED, ModelTriage, evaluate_emergencies, evaluate_intents
from triage.data import load_jsonl
from triage.models import LEXICAL_WEIGHT
from triage.runtime import DANGER_ONNX_FILE, ONNX_FILE

INTENT_ACCURACY_FLOOR = 0.95
OOS_RECALL_FLOOR = 0.90
# The targets are recall >= 0.98 with a false-positive rate <= 0.02. The held-out split
# is two sets: 248 dangers and 412 hard negatives written with the training data, then
# 332 and 547 written later, from a labelling guide, by writers who saw no project data.
# Trained with the round-7 data and the dedicated emergency encoder, the model reaches
# recall 0.991 (575 of 580) with a false-positive rate of 0.023 (22 of 959): the recall
# target is met, the false-alarm one is not (without that encoder: 0.990 and 0.026; the
# round-5 model had 0.976 and 0.019). The floors guard against regressions (the training
# is seeded: retrained in a later session, the joint model gave the same counts on every
# dev and test part).
EMERGENCY_RECALL_FLOOR = 0.985
EMERGENCY_FPR_CEILING = 0.025


@pytest.fixture(scope="session")
def trained_dir(trained_triage_dir: Path) -> Path:
    return trained_triage_dir


@pytest.fixture(scope="session")
def triager(trained_dir: Path) -> ModelTriage:
    return ModelTriage.load(trained_dir)


def test_train_and_test_share_no_sentence() -> None:
    for kind in ("intents", "emergency"):
        train_texts = {e.text.lower() for e in load_jsonl(BUNDLED[f"{kind}_train"])}
        test_texts = {e.text.lower() for e in load_jsonl(BUNDLED[f"{kind}_test"])}
        assert not train_texts & test_texts


def test_the_emergency_dev_and_candidate_files_share_no_sentence_with_train_or_test() -> None:
    taken = {
        e.text.lower()
        for name in ("intents_train", "intents_test", "emergency_train", "emergency_test")
        for e in load_jsonl(BUNDLED[name])
    }
    labels = {e.label for e in load_jsonl(BUNDLED["emergency_train"])}
    dev = load_jsonl(BUNDLED["emergency_train"].parent / "emergency_dev.jsonl")
    texts = [e.text.lower() for e in dev]
    assert len(dev) >= 2000
    assert len(set(texts)) == len(texts)
    assert not set(texts) & taken
    assert {e.label for e in dev} <= labels
    # Untrained candidates must be mergeable later without touching dev or test.
    candidates = load_jsonl(BUNDLED["emergency_train"].parent / "emergency_candidates.jsonl")
    ctexts = [e.text.lower() for e in candidates]
    assert len(candidates) >= 500
    assert len(set(ctexts)) == len(ctexts)
    assert not set(ctexts) & (taken | set(texts))
    assert {e.label for e in candidates} <= labels


def test_intent_quality_floors(triager: ModelTriage) -> None:
    metrics = evaluate_intents(triager.net, load_jsonl(BUNDLED["intents_test"]))
    print(json.dumps(metrics))
    assert metrics["accuracy"] >= INTENT_ACCURACY_FLOOR
    assert metrics["oos_recall"] >= OOS_RECALL_FLOOR


def test_emergency_quality_floors(triager: ModelTriage) -> None:
    metrics = evaluate_emergencies(triager.net, load_jsonl(BUNDLED["emergency_test"]))
    print(json.dumps(metrics))
    assert metrics["positives"] >= 150 and metrics["negatives"] >= 300
    assert metrics["recall"] >= EMERGENCY_RECALL_FLOOR
    assert metrics["false_positive_rate"] <= EMERGENCY_FPR_CEILING


def test_the_model_runs_on_onnx_runtime_with_the_pytorch_results(
    trained_dir: Path, triager: ModelTriage
) -> None:
    assert (trained_dir / ONNX_FILE).exists() and (trained_dir / DANGER_ONNX_FILE).exists()
    net = triager.net
    assert net.onnx is not None and net.danger_onnx is not None
    texts = [e.text for e in load_jsonl(BUNDLED["emergency_test"])]
    texts += [e.text for e in load_jsonl(BUNDLED["intents_test"])]
    onnx_intent, onnx_emergency = net.probabilities(texts)
    runtimes = net.onnx, net.danger_onnx
    net.onnx = net.danger_onnx = None
    try:
        torch_intent, torch_emergency = net.probabilities(texts)
    finally:
        net.onnx, net.danger_onnx = runtimes
    # The quality floors, measured on ONNX Runtime, hold for the PyTorch path too.
    assert np.abs(onnx_intent - torch_intent).max() < 1e-4
    assert np.abs(onnx_emergency - torch_emergency).max() < 1e-4


def test_the_emergency_decision_averages_in_the_dedicated_encoder(triager: ModelTriage) -> None:
    net = triager.net
    texts = [e.text for e in load_jsonl(BUNDLED["emergency_test"])][:64]
    _, both = net.probabilities(texts)
    dedicated = net._danger_probabilities(texts)
    encoder, net.danger_encoder = net.danger_encoder, None
    try:
        _, without = net.probabilities(texts)
    finally:
        net.danger_encoder = encoder
    assert dedicated is not None and np.allclose(dedicated.sum(axis=1), 1.0, atol=1e-5)
    # Half of the averaged probabilities is neural: the joint head's half becomes the
    # mean of the joint and the dedicated heads.
    weight = 1 - LEXICAL_WEIGHT
    joint = (without - LEXICAL_WEIGHT * net.lexical_emergency.predict_proba(texts)) / weight
    assert np.allclose(both, without + weight * (dedicated - joint) / 2, atol=1e-5)
    assert np.abs(both - without).max() > 1e-3


def test_a_whole_triage(triager: ModelTriage) -> None:
    result: Triage = triager.triage("¿Dónde está mi pedido BS-100003? Llevo una semana esperando")
    assert result["language"] == "es"
    assert triager.triage("I smell gas in the kitchen")["emergency"] == "gas"
    assert triager.triage("this fire sale is a killer deal")["emergency"] is None
    assert triager.triage("where is my order BS-100003?")["emergency"] is None
    assert triager.triage("Hi there!")["emergency"] is None
    assert triager.triage("this is the worst, most useless service ever")["sentiment"] <= -0.5
    assert triager.triage("ok", previous_language="fr")["language"] == "fr"


def test_cli_evaluate_prints_the_metrics(
    trained_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(
        [
            "triage", "evaluate", "--model", str(trained_dir),
            "--data", str(BUNDLED["intents_test"]),
            "--emergency-data", str(BUNDLED["emergency_test"]),
        ]
    )  # fmt: skip
    assert code == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    expected = {
        "accuracy",
        "macro_f1",
        "in_scope_accuracy",
        "oos_recall",
        "oos_precision",
        "p50_ms",
        "p95_ms",
    }
    assert expected <= printed.keys()
    assert printed["emergency"]["positives"] >= 150


async def test_the_real_triage_routes_an_emergency_to_safety(triager: ModelTriage, backend) -> None:
    import uuid

    from langchain_core.messages import HumanMessage
    from langgraph.checkpoint.memory import InMemorySaver

    import prompts
    from graph import build_graph
    from graph.context import Context
    from tests.fakes import StaticRetriever, scripted

    graph = build_graph(
        model=scripted(),
        retriever=StaticRetriever(),
        backend=backend,
        triager=triager,
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    state = await graph.ainvoke(
        {"messages": [HumanMessage("there's a strong smell of gas in my kitchen")]},
        config,
        context=Context(),
    )
    assert state["triage"]["emergency"] == "gas"
    assert state["messages"][-1].content == prompts.SAFETY_INSTRUCTIONS["gas"]
    assert (await graph.aget_state(config)).interrupts[0].value["priority"] == "urgent"


def test_cli_rejects_a_bad_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hello"}\n')
    assert cli(["triage", "train", "--data", str(bad), "--out", str(tmp_path / "m")]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err


def test_cli_trains_on_any_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "tiny.jsonl"
    rows = [{"text": f"where is parcel {i}", "label": "track"} for i in range(12)]
    rows += [{"text": f"tell me a joke number {i}", "label": "oos"} for i in range(12)]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    emergencies = tmp_path / "emergency.jsonl"
    rows = [{"text": f"smoke is pouring out of dryer {i}", "label": "fire"} for i in range(12)]
    rows += [{"text": f"is dryer {i} on sale this week", "label": "none"} for i in range(12)]
    emergencies.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "model"
    train = ["triage", "train", "--data", str(data), "--emergency-data", str(emergencies)]
    assert cli([*train, "--out", str(out), "--epochs", "1"]) == 0
    info = json.loads((out / "info.json").read_text())
    assert info["intent_labels"] == ["oos", "track"]
    assert info["emergency_labels"] == ["fire", "none"]
    assert (out / ONNX_FILE).exists()
    assert info["danger_encoder"] is True and (out / DANGER_ONNX_FILE).exists()
    capsys.readouterr()
    evaluate = ["triage", "evaluate", "--model", str(out), "--data", str(data)]
    assert cli([*evaluate, "--emergency-data", str(emergencies)]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["examples"] == 24 and printed["emergency"]["positives"] == 12
