"""Model plumbing that needs no weights: message conversion, tool choice, weights files."""

import hashlib
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from graph.llm import weights
from graph.llm.local import _forced_tool, _to_chat

TOOLS = [
    {"type": "function", "function": {"name": "a", "parameters": {}}},
    {"type": "function", "function": {"name": "b", "parameters": {}}},
]


def test_forced_tool_is_read_from_every_tool_choice_form() -> None:
    assert _forced_tool(TOOLS, "b")["function"]["name"] == "b"
    assert (
        _forced_tool(TOOLS, {"type": "function", "function": {"name": "a"}})["function"]["name"]
        == "a"
    )
    assert _forced_tool(TOOLS, "auto") is None
    assert _forced_tool(TOOLS, None) is None
    assert _forced_tool(TOOLS, "any") is None  # two tools: not one to force
    assert _forced_tool(TOOLS[:1], "required")["function"]["name"] == "a"


def test_to_chat_merges_system_and_flattens_tools() -> None:
    chat = _to_chat(
        [
            SystemMessage("one"),
            SystemMessage("two"),
            HumanMessage("where is BS-1?"),
            AIMessage(
                "",
                tool_calls=[{"name": "get_order_status", "args": {"order_id": "BS-1"}, "id": "c"}],
            ),
            ToolMessage('{"ok": true}', tool_call_id="c", name="get_order_status"),
        ]
    )
    assert [m["role"] for m in chat] == ["system", "user", "assistant", "user"]
    assert chat[0]["content"] == "one\n\ntwo"
    assert "get_order_status" in chat[2]["content"]
    assert chat[3]["content"].startswith("Result of tool get_order_status")


def test_the_22_parts_are_found_in_order() -> None:
    parts = weights.part_paths()
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, 23)]
    assert all(p.stat().st_size > 0 for p in parts)


def test_a_bad_join_is_rejected_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = [tmp_path / f"p{i}.bin" for i in range(3)]
    for i, p in enumerate(fake):
        p.write_bytes(bytes([i]) * 1000)
    monkeypatch.setattr(weights, "part_paths", lambda: fake)
    with pytest.raises(weights.WeightsError, match="sha256"):
        weights.ensure_model_file(tmp_path / "models", progress=None)
    assert list((tmp_path / "models").iterdir()) == []


def test_a_good_join_is_written_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = [tmp_path / f"p{i}.bin" for i in range(3)]
    for i, p in enumerate(fake):
        p.write_bytes(bytes([i]) * 1000)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in fake)).hexdigest()
    monkeypatch.setattr(weights, "part_paths", lambda: fake)
    monkeypatch.setattr(weights, "MODEL_SHA256", digest)
    path = weights.ensure_model_file(tmp_path / "models", progress=None)
    assert path.read_bytes() == b"".join(p.read_bytes() for p in fake)
    monkeypatch.setattr(weights, "part_paths", lambda: pytest.fail("joined again"))
    assert weights.ensure_model_file(tmp_path / "models", progress=None) == path
