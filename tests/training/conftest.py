"""Fixtures for the training-script tests: one small model trained once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

import inference
import train
from tools import sample_data

SMALL_MODEL_ARGS = ["--n-estimators", "60", "--max-depth", "3", "--seed", "0"]


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained by train.main on 1,500 generated records (validation channel included)."""
    root = tmp_path_factory.mktemp("trained")
    sample_data.write_csv(root / "train" / "part-1.csv", 1500, seed=21)
    sample_data.write_csv(root / "validation" / "part-1.csv", 300, seed=22)
    status = train.main(
        [
            *SMALL_MODEL_ARGS,
            "--train",
            str(root / "train"),
            "--validation",
            str(root / "validation"),
            "--model-dir",
            str(root / "model"),
        ]
    )
    assert status == 0
    return root / "model"


@pytest.fixture(scope="session")
def loaded_model(model_dir: Path) -> inference.LoadedModel:
    return inference.model_fn(str(model_dir))
