"""SageMaker Training job (script mode): fit the G3 regressor.

Reads every file in the ``train`` channel (and ``validation`` when given), fits a scikit-learn
Pipeline (one-hot encoding over the contract's allowed categories, scaling for integers, then a
gradient boosting regressor) and writes ``model.joblib`` and ``model_metadata.json`` to the
model directory, which SageMaker packs into model.tar.gz.

Hyperparameters (SageMaker passes them as ``--name value``)::

    --n-estimators 200  --learning-rate 0.05  --max-depth 3  --subsample 0.8
    --min-samples-leaf 10  --seed 0

With several instances only the first host trains (see is_leader). Logs ``train_rmse=<x>;``
and ``validation_rmse=<x>;`` lines for metric definitions
(regex ``validation_rmse=([0-9.]+);``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from features import (
    CATEGORICAL_FEATURES,
    CONTRACT,
    FEATURE_NAMES,
    NUMERIC_FEATURES,
    TARGET,
    DataError,
    feature_frame,
    list_data_files,
    read_clean_files,
)
from framework import SKLEARN_FRAMEWORK_VERSION

LOG = logging.getLogger("train")

MODEL_FILE = "model.joblib"
METADATA_FILE = "model_metadata.json"
# The serving code travels inside model.tar.gz (code/), so the model needs no other download at
# start-up and can run with network isolation. The SageMaker scikit-learn container runs it from
# SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code.
SERVING_CODE_DIR = "code"
SERVING_CODE_FILES = ("inference.py", "features.py", "contract.py", "student_contract.json")


def build_pipeline(
    *,
    n_estimators: int,
    learning_rate: float,
    max_depth: int,
    subsample: float,
    min_samples_leaf: int,
    seed: int,
) -> Pipeline:
    # Categories come from the contract, not the data, so a category missing from a small
    # training set still has its column and the encoding never depends on the sample.
    categories = [list(CONTRACT.column(name).allowed) for name in CATEGORICAL_FEATURES]
    prepare = ColumnTransformer(
        [
            ("numbers", StandardScaler(), list(NUMERIC_FEATURES)),
            (
                "categories",
                OneHotEncoder(categories=categories, handle_unknown="error", sparse_output=False),
                list(CATEGORICAL_FEATURES),
            ),
        ],
        remainder="drop",
    )
    regressor = GradientBoostingRegressor(
        loss="squared_error",
        n_estimators=n_estimators,
        learning_rate=learning_rate,
        max_depth=max_depth,
        subsample=subsample,
        min_samples_leaf=min_samples_leaf,
        random_state=seed,
    )
    return Pipeline([("prepare", prepare), ("regressor", regressor)])


def rmse(actual: Sequence[float] | np.ndarray, predicted: Sequence[float] | np.ndarray) -> float:
    difference = np.asarray(actual, dtype=float) - np.asarray(predicted, dtype=float)
    return float(np.sqrt(np.mean(difference**2)))


def load_channel(directory: Path) -> pd.DataFrame:
    """All records of one channel: every file in it, however many instances wrote them."""
    frame = read_clean_files(list_data_files(directory))
    if frame.empty:
        raise DataError(f"channel {directory} has no records")
    return frame


def train(frame: pd.DataFrame, hyperparameters: dict[str, Any]) -> Pipeline:
    model = build_pipeline(**hyperparameters)
    model.fit(feature_frame(frame), frame[TARGET].to_numpy(dtype=float))
    return model


def save_model(model: Pipeline, model_dir: Path, metadata: dict[str, Any]) -> None:
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, model_dir / MODEL_FILE)
    (model_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    code_dir = model_dir / SERVING_CODE_DIR
    code_dir.mkdir(exist_ok=True)
    here = Path(__file__).resolve().parent
    for name in SERVING_CODE_FILES:
        shutil.copyfile(here / name, code_dir / name)


def _host() -> str:
    return os.environ.get("SM_CURRENT_HOST", "local")


def is_leader() -> bool:
    """Whether this instance trains and writes the model (the first host; alone, always).

    With several training instances every host gets the whole channels and SageMaker packs
    every host's model directory into one model.tar.gz, so only one host may write it.
    """
    hosts = json.loads(os.environ.get("SM_HOSTS", "[]"))
    return not hosts or _host() == sorted(hosts)[0]


def _env_path(variable: str, default: str) -> Path:
    return Path(os.environ.get(variable, default))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    hyper = parser.add_argument_group("hyperparameters")
    hyper.add_argument(
        "--n-estimators", "--n_estimators", dest="n_estimators", type=int, default=200
    )
    hyper.add_argument(
        "--learning-rate", "--learning_rate", dest="learning_rate", type=float, default=0.05
    )
    hyper.add_argument("--max-depth", "--max_depth", dest="max_depth", type=int, default=3)
    hyper.add_argument("--subsample", type=float, default=0.8)
    hyper.add_argument(
        "--min-samples-leaf", "--min_samples_leaf", dest="min_samples_leaf", type=int, default=10
    )
    hyper.add_argument("--seed", type=int, default=0)
    paths = parser.add_argument_group("paths (SageMaker sets the environment variables)")
    paths.add_argument("--model-dir", type=Path, default=_env_path("SM_MODEL_DIR", "/opt/ml/model"))
    paths.add_argument(
        "--train", type=Path, default=_env_path("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train")
    )
    paths.add_argument(
        "--validation",
        type=Path,
        default=_env_path("SM_CHANNEL_VALIDATION", "/opt/ml/input/data/validation"),
        help="optional: skipped when the directory does not exist",
    )
    return parser.parse_args(argv)


HYPERPARAMETER_NAMES = (
    "n_estimators",
    "learning_rate",
    "max_depth",
    "subsample",
    "min_samples_leaf",
    "seed",
)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = parse_args(argv)
    hyperparameters = {name: getattr(args, name) for name in HYPERPARAMETER_NAMES}
    if not is_leader():
        LOG.info("gradient boosting trains on one machine: %s leaves it to the first host", _host())
        return 0
    try:
        train_frame = load_channel(args.train)
        validation_frame = load_channel(args.validation) if args.validation.is_dir() else None
    except DataError as error:
        LOG.error("%s", error)
        return 1
    LOG.info("training on %d rows with %s", len(train_frame), hyperparameters)

    model = train(train_frame, hyperparameters)
    train_rmse = rmse(train_frame[TARGET], model.predict(feature_frame(train_frame)))
    print(f"train_rmse={train_rmse:.6f};", flush=True)
    validation_rmse = None
    if validation_frame is not None:
        validation_rmse = rmse(
            validation_frame[TARGET], model.predict(feature_frame(validation_frame))
        )
        print(f"validation_rmse={validation_rmse:.6f};", flush=True)
    else:
        LOG.warning("no validation channel at %s: validation RMSE not computed", args.validation)

    save_model(
        model,
        args.model_dir,
        {
            "contract": {"name": CONTRACT.name, "version": CONTRACT.version},
            "features": list(FEATURE_NAMES),
            "target": TARGET,
            "sklearn_version": sklearn.__version__,
            "framework_version": SKLEARN_FRAMEWORK_VERSION,
            "hyperparameters": hyperparameters,
            "train_rows": len(train_frame),
            "validation_rows": 0 if validation_frame is None else len(validation_frame),
            "target_mean_train": float(train_frame[TARGET].mean()),
            "train_rmse": train_rmse,
            "validation_rmse": validation_rmse,
        },
    )
    LOG.info("model written to %s", args.model_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
