"""LangGraph Studio's server (`langgraph dev`) serves the graph; one turn through the SDK."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from langgraph_sdk import get_client

from tests.conftest import ROOT, wait_for_http

PORT = 2031


@pytest.mark.local_model
async def test_langgraph_dev_runs_a_turn(tmp_path: Path, trained_triage_dir: Path) -> None:
    from graph.llm.weights import ensure_model_file

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # The Studio graph opens its model and triage model from DATA_DIR on first use.
    (data_dir / "models").symlink_to(ensure_model_file(ROOT / ".data" / "models").parent)
    (data_dir / "triage").symlink_to(trained_triage_dir)
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LLM": "local",
        "DATA_DIR": str(data_dir),
        "LLM_MAX_TOKENS": "40",
    }
    log = (tmp_path / "langgraph-dev.log").open("wb")
    cli = Path(sys.executable).with_name("langgraph")
    process = subprocess.Popen(
        [str(cli), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(PORT)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{PORT}/ok", timeout=90, process=process)
        client = get_client(url=f"http://127.0.0.1:{PORT}")
        assistants = await client.assistants.search(graph_id="supportgraph")
        assert assistants, "the graph from langgraph.json is registered"
        thread = await client.threads.create()
        result = await client.runs.wait(
            thread["thread_id"],
            "supportgraph",
            input={"messages": [{"role": "human", "content": "Hello!"}]},
        )
        assert result["triage"]["intent"] == "greeting"
        assert result["messages"][-1]["type"] == "ai" and result["messages"][-1]["content"].strip()
    finally:
        process.terminate()
        process.wait(timeout=30)
