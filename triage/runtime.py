"""The fine-tuned encoder run by ONNX Runtime at inference time.

PyTorch's eager forward pass of MiniLM took p50 18-21 ms per message on this 2-core
machine. The same encoder exported to ONNX and run by ONNX Runtime took 5.7 ms with two
threads, and its embeddings differed by at most 2e-7. Training still uses PyTorch; a
model directory keeps both forms (``encoder/`` and ``encoder.onnx``).
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

log = logging.getLogger("supportgraph.triage")

ONNX_FILE = "encoder.onnx"
DANGER_ONNX_FILE = "danger_encoder.onnx"
"""The dedicated emergency encoder's ONNX form, when the model has one."""
BATCH = 32
"""Texts per ONNX Runtime call when many are embedded at once (evaluation)."""


def export_onnx(encoder: Any, path: Path) -> None:
    """Write a SentenceTransformer (transformer, mean pooling, normalisation) as ONNX.

    Raises ``ValueError`` for an encoder of another shape.
    """
    modules = [type(module).__name__ for module in encoder]
    shape_ok = modules == ["Transformer", "Pooling", "Normalize"]
    if not shape_ok or encoder[1].get_config_dict().get("pooling_mode") != "mean":
        raise ValueError(f"cannot export an encoder made of {modules} (mean pooling expected)")
    model = _MeanPooled(encoder[0].auto_model).eval()
    example = encoder[0].tokenizer(
        ["a short one", "and a longer second message, padded"], padding=True, return_tensors="pt"
    )
    tmp = path.with_name(path.name + ".tmp")
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter warns that it is legacy and that tracing turns tensors
        # into Python booleans; the exported graph gives the eager embeddings on padded
        # batches too (tests/unit/test_triage_runtime.py).
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example["input_ids"], example["attention_mask"]),
            str(tmp),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
    tmp.replace(path)


class OnnxEncoder:
    """Unit-length sentence embeddings from an exported encoder."""

    def __init__(self, path: Path, tokenizer: Any, max_length: int, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle worker threads spin by default; with two encoders (two sessions) on two
        # cores, one session's spinning threads took the CPU from the other.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer
        self._max_length = max_length

    def embed(self, texts: list[str]) -> np.ndarray:
        """One normalised embedding row per text."""
        rows = []
        for start in range(0, len(texts), BATCH):
            tokens = self._tokenizer(
                texts[start : start + BATCH],
                padding=True,
                truncation=True,
                max_length=self._max_length,
                return_tensors="np",
            )
            feed = {
                "input_ids": tokens["input_ids"].astype(np.int64),
                "attention_mask": tokens["attention_mask"].astype(np.int64),
            }
            rows.append(self._session.run(None, feed)[0])
        return np.concatenate(rows) if rows else np.zeros((0, 384), dtype=np.float32)


def open_onnx(
    encoder: Any, directory: Path, threads: int, name: str = ONNX_FILE
) -> OnnxEncoder | None:
    """The ONNX form ``name`` of ``encoder`` in ``directory``, exported first if missing.

    ``None`` (inference then stays on PyTorch, about three times slower) if it can be
    neither exported nor opened; the reason is logged.
    """
    path = directory / name
    try:
        if not path.exists():
            log.info("exporting the triage encoder to %s", path)
            export_onnx(encoder, path)
        return OnnxEncoder(path, encoder.tokenizer, encoder.max_seq_length, threads)
    except Exception as exc:  # noqa: BLE001 - any failure leaves the PyTorch path working
        log.warning("triage encoder stays on PyTorch (slower): no ONNX Runtime form: %s", exc)
        return None


class _MeanPooled(torch.nn.Module):
    """Transformer output, mean-pooled over real tokens, then unit length."""

    def __init__(self, transformer: Any) -> None:
        super().__init__()
        self.transformer = transformer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Embeddings of a padded batch."""
        hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask)
        mask = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
        pooled = (hidden.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)
