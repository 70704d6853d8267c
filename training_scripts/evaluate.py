"""SageMaker Processing step: evaluate the trained model on the test split.

Inputs: ``/opt/ml/processing/input/model/model.tar.gz`` (the training job's artifact) and every
file under ``/opt/ml/processing/input/test/``. Output:
``/opt/ml/processing/output/evaluation/evaluation.json``::

    {"regression_metrics": {"mse" | "rmse" | "mae" | "r2": {"value": x, "standard_deviation": s}},
     "fairness": {"<attribute>": {"<group>": {"rmse": x, "count": n}}, ...,
                  "largest_gap": {"value": x, "attribute": a, "groups": [worst, best],
                                  "measurable": bool, "min_group_size": n}},
     "baselines": {"predict_mean": {"rmse": x}, "predict_g2": {"rmse": x}},
     "test_rows": n, "model": {...training metadata...}}

The pipeline's condition step reads ``regression_metrics.rmse.value`` and
``fairness.largest_gap.value``. Standard deviations are bootstrap estimates (see metrics.py).
The model is loaded and applied by inference.py's own functions, exactly as the endpoint does.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from features import CONTRACT, TARGET, DataError, list_data_files, read_clean_files
from inference import LoadedModel, model_fn, predict_fn
from metrics import baseline_report, fairness_report, regression_report

LOG = logging.getLogger("evaluate")

PROCESSING_ROOT = Path("/opt/ml/processing")
MODEL_ARCHIVE = "model.tar.gz"


def extract_model(archive: Path, destination: Path) -> Path:
    """Unpack model.tar.gz, refusing members that would land outside ``destination``."""
    destination = destination.resolve()
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            target = (destination / member.name).resolve()
            if destination not in (target, *target.parents) or member.issym() or member.islnk():
                raise DataError(f"{archive}: refusing suspicious member {member.name!r}")
        if hasattr(tarfile, "data_filter"):  # Python >= 3.10.12 / 3.11.4
            tar.extractall(destination, filter="data")
        else:
            tar.extractall(destination)  # members checked above
    return destination


def evaluate(
    model: LoadedModel,
    test: pd.DataFrame,
    *,
    bootstrap_samples: int,
    seed: int,
    min_group_size: int,
) -> dict[str, Any]:
    actual = test[TARGET].to_numpy(dtype=float)
    predicted = predict_fn(test, model)
    sensitive = {name: test[name].astype(str).tolist() for name in CONTRACT.sensitive_attributes}
    orders = {name: _domain_order(name) for name in CONTRACT.sensitive_attributes}
    return {
        "regression_metrics": regression_report(
            actual, predicted, samples=bootstrap_samples, seed=seed
        ),
        "fairness": fairness_report(
            actual, predicted, sensitive, min_group_size=min_group_size, orders=orders
        ),
        "baselines": baseline_report(
            actual, test["G2"].to_numpy(), model.metadata["target_mean_train"]
        ),
        "test_rows": len(test),
        "bootstrap": {"samples": bootstrap_samples, "seed": seed},
        "model": model.metadata,
    }


def _domain_order(name: str) -> list[str]:
    column = CONTRACT.column(name)
    if column.allowed:
        return list(column.allowed)
    assert column.minimum is not None and column.maximum is not None
    return [str(value) for value in range(column.minimum, column.maximum + 1)]


def load_model(model_dir: Path, workspace: Path) -> LoadedModel:
    """The model from model.tar.gz in ``model_dir`` (or from an already unpacked directory)."""
    archive = model_dir / MODEL_ARCHIVE
    if archive.is_file():
        return model_fn(str(extract_model(archive, workspace)))
    return model_fn(str(model_dir))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=PROCESSING_ROOT / "input" / "model")
    parser.add_argument("--test-dir", type=Path, default=PROCESSING_ROOT / "input" / "test")
    parser.add_argument(
        "--output-dir", type=Path, default=PROCESSING_ROOT / "output" / "evaluation"
    )
    parser.add_argument("--bootstrap-samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-group-size", type=int, default=30)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = parse_args(argv)
    try:
        test = read_clean_files(list_data_files(args.test_dir))
        if test.empty:
            raise DataError(f"no test records under {args.test_dir}")
        with tempfile.TemporaryDirectory() as workspace:
            model = load_model(args.model_dir, Path(workspace))
            report = evaluate(
                model,
                test,
                bootstrap_samples=args.bootstrap_samples,
                seed=args.seed,
                min_group_size=args.min_group_size,
            )
    except DataError as error:
        LOG.error("%s", error)
        return 1
    args.output_dir.mkdir(parents=True, exist_ok=True)
    path = args.output_dir / "evaluation.json"
    path.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    metrics = report["regression_metrics"]
    LOG.info(
        "test rmse %.4f (sd %.4f) on %d rows; largest fairness gap %.4f (%s); written to %s",
        metrics["rmse"]["value"],
        metrics["rmse"]["standard_deviation"],
        len(test),
        report["fairness"]["largest_gap"]["value"],
        report["fairness"]["largest_gap"]["attribute"],
        path,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
