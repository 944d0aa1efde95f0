"""When the server's triage model directory is trained, retrained or loaded as it is."""

import json
from pathlib import Path
from typing import Any

import pytest

import triage
from triage import BUNDLED, fingerprint
from triage.data import Example, load_jsonl


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace training (minutes) and loading with fakes that record what happened."""
    trained: list[Path] = []

    def fake_train(
        intents: list[Example], emergencies: list[Example], out: Path, *_: Any, source: str
    ) -> dict[str, Any]:
        out.mkdir(parents=True)
        info = {"data_sha256": fingerprint(intents, emergencies), "source": source}
        (out / "info.json").write_text(json.dumps(info))
        trained.append(out)
        return info

    monkeypatch.setattr(triage, "train", fake_train)
    monkeypatch.setattr(triage.ModelTriage, "load", classmethod(lambda cls, d: d))
    return trained


def write_model(directory: Path, **info: Any) -> None:
    directory.mkdir()
    (directory / "info.json").write_text(json.dumps(info))
    (directory / "marker").write_text("the old model")


def bundled_fingerprint() -> str:
    return fingerprint(load_jsonl(BUNDLED["intents_train"]), load_jsonl(BUNDLED["emergency_train"]))


def test_an_empty_directory_is_trained_from_the_bundled_data(
    tmp_path: Path, trainings: list[Path]
) -> None:
    model = tmp_path / "triage"
    assert triage.load_or_train(model) == model
    assert len(trainings) == 1
    info = json.loads((model / "info.json").read_text())
    assert info == {"data_sha256": bundled_fingerprint(), "source": "bundled"}
    assert not (tmp_path / "triage.new").exists()


def test_a_model_of_the_current_bundled_data_is_loaded_as_it_is(
    tmp_path: Path, trainings: list[Path]
) -> None:
    model = tmp_path / "triage"
    write_model(model, data_sha256=bundled_fingerprint(), source="bundled")
    assert triage.load_or_train(model) == model
    assert trainings == []


@pytest.mark.parametrize(
    "info", [{"data_sha256": "0" * 64, "source": "bundled"}, {"format_version": 3}]
)
def test_a_model_of_older_bundled_data_is_retrained_and_the_old_one_kept(
    tmp_path: Path, trainings: list[Path], info: dict[str, Any]
) -> None:
    model = tmp_path / "triage"
    write_model(model, **info)
    assert triage.load_or_train(model) == model
    assert len(trainings) == 1
    assert json.loads((model / "info.json").read_text())["data_sha256"] == bundled_fingerprint()
    assert (tmp_path / "triage.previous" / "marker").read_text() == "the old model"


def test_a_bundled_model_of_an_older_format_is_retrained(
    tmp_path: Path, trainings: list[Path]
) -> None:
    model = tmp_path / "triage"
    write_model(model, data_sha256=bundled_fingerprint(), source="bundled", format_version=3)
    assert "older format" in (triage.training_reason(model) or "")
    assert triage.load_or_train(model) == model
    assert len(trainings) == 1
    assert (tmp_path / "triage.previous" / "marker").read_text() == "the old model"


def test_a_model_trained_on_other_data_is_never_replaced(
    tmp_path: Path, trainings: list[Path]
) -> None:
    model = tmp_path / "triage"
    write_model(model, data_sha256="0" * 64, source="custom")
    assert triage.load_or_train(model) == model
    assert trainings == []
    assert (model / "marker").exists()


def test_the_fingerprint_changes_with_any_text_or_label() -> None:
    base = fingerprint([Example("hi", "greeting")], [Example("fire!", "fire")])
    assert base == fingerprint([Example("hi", "greeting")], [Example("fire!", "fire")])
    assert base != fingerprint([Example("hi", "thanks")], [Example("fire!", "fire")])
    assert base != fingerprint([Example("hi", "greeting")], [Example("fire!!", "fire")])
    assert base != fingerprint([], [Example("hi", "greeting"), Example("fire!", "fire")])


def test_training_uses_every_core_even_after_an_embedder_lowered_the_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    import store.embeddings

    seen: list[int] = []

    def fake_net_train(*_: Any, **__: Any) -> Any:
        seen.append(torch.get_num_threads())
        raise RuntimeError("stop here")

    monkeypatch.setattr(triage.TriageNet, "train", fake_net_train)
    monkeypatch.setattr(store.embeddings, "_TORCH_THREADS", 2)  # torch's default, recorded
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # what the server's Embedder does for queries
    try:
        with pytest.raises(RuntimeError, match="stop here"):
            triage.train([], [], tmp_path / "model")
        assert seen == [2]
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
