"""The triage encoder exported to ONNX gives the PyTorch embeddings."""

import logging
from pathlib import Path

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling

from store.embeddings import model_dir
from triage.runtime import BATCH, ONNX_FILE, OnnxEncoder, export_onnx, open_onnx

TEXTS = [
    "Hi",
    "where is my order BS-100003?",
    "I smell gas in the kitchen and the hob is off, what do I do",
    "my toddler swallowed one of the little batteries from the remote",
] * 12  # 48 texts of mixed lengths: padded batches, and more than one batch


@pytest.fixture(scope="module")
def encoder() -> SentenceTransformer:
    return SentenceTransformer(str(model_dir()), device="cpu")


@pytest.fixture(scope="module")
def exported(encoder: SentenceTransformer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("onnx")
    export_onnx(encoder, directory / ONNX_FILE)
    return directory


def test_onnx_embeddings_equal_the_pytorch_ones_on_padded_batches(
    encoder: SentenceTransformer, exported: Path
) -> None:
    assert len(TEXTS) > BATCH
    onnx = OnnxEncoder(exported / ONNX_FILE, encoder.tokenizer, encoder.max_seq_length, 2)
    got = onnx.embed(TEXTS)
    want = encoder.encode(TEXTS, batch_size=len(TEXTS), convert_to_numpy=True)
    assert got.shape == want.shape == (len(TEXTS), 384)
    assert np.abs(got - want).max() < 1e-5
    # Each text alone gives the same embedding as inside a padded batch.
    alone = np.concatenate([onnx.embed([text]) for text in TEXTS[:4]])
    assert np.abs(alone - got[:4]).max() < 1e-5


def test_an_existing_export_is_opened_not_redone(
    encoder: SentenceTransformer, exported: Path
) -> None:
    written = (exported / ONNX_FILE).stat().st_mtime_ns
    assert open_onnx(encoder, exported, threads=1) is not None
    assert (exported / ONNX_FILE).stat().st_mtime_ns == written


def test_an_encoder_of_another_pooling_is_refused(
    encoder: SentenceTransformer, tmp_path: Path
) -> None:
    cls_pooled = SentenceTransformer(
        modules=[encoder[0], Pooling(384, pooling_mode="cls"), encoder[2]], device="cpu"
    )
    with pytest.raises(ValueError, match="mean pooling"):
        export_onnx(cls_pooled, tmp_path / ONNX_FILE)
    assert not (tmp_path / ONNX_FILE).exists()


def test_without_an_onnx_form_inference_stays_on_pytorch_and_says_so(
    encoder: SentenceTransformer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "not-a-directory"
    with caplog.at_level(logging.WARNING, logger="supportgraph.triage"):
        assert open_onnx(encoder, missing, threads=1) is None
    assert "stays on PyTorch" in caplog.text
