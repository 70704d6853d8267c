"""Model-quality metrics for evaluation.json: regression metrics, fairness gaps, baselines.

Standard deviations are bootstrap estimates: the test records are resampled with replacement
``samples`` times by a generator seeded with ``seed`` (so a rerun gives the same figures), each
metric is computed on every resample, and the standard deviation (ddof=1) of those values is
reported. R² is undefined on a resample whose targets are all equal; such resamples are left
out of R²'s standard deviation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

METRIC_NAMES = ("mse", "rmse", "mae", "r2")


def regression_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    if actual.size == 0 or actual.shape != predicted.shape:
        raise ValueError(
            "need equally many actual and predicted values, "
            f"got {actual.shape} and {predicted.shape}"
        )
    errors = actual - predicted
    mse = float(np.mean(errors**2))
    total = float(np.sum((actual - actual.mean()) ** 2))
    return {
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "mae": float(np.mean(np.abs(errors))),
        "r2": None if total == 0 else 1 - float(np.sum(errors**2)) / total,
    }


def bootstrap_standard_deviations(
    actual: np.ndarray, predicted: np.ndarray, *, samples: int, seed: int
) -> dict[str, float | None]:
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    if samples < 2:
        raise ValueError("the bootstrap needs at least 2 samples")
    rng = np.random.default_rng(seed)
    values: dict[str, list[float]] = {name: [] for name in METRIC_NAMES}
    for _ in range(samples):
        chosen = rng.integers(0, actual.size, size=actual.size)
        for name, value in regression_metrics(actual[chosen], predicted[chosen]).items():
            if value is not None:
                values[name].append(value)
    return {
        name: float(np.std(found, ddof=1)) if len(found) >= 2 else None
        for name, found in values.items()
    }


def regression_report(
    actual: np.ndarray, predicted: np.ndarray, *, samples: int, seed: int
) -> dict[str, dict[str, float | None]]:
    """The SageMaker model-quality shape: {metric: {"value": x, "standard_deviation": s}}."""
    values = regression_metrics(actual, predicted)
    deviations = bootstrap_standard_deviations(actual, predicted, samples=samples, seed=seed)
    return {
        name: {"value": values[name], "standard_deviation": deviations[name]}
        for name in METRIC_NAMES
    }


def group_rmse(
    actual: np.ndarray, predicted: np.ndarray, groups: Sequence[str], order: Sequence[str] = ()
) -> dict[str, dict[str, float | int]]:
    """RMSE and record count per group value (groups in ``order`` first, then the rest sorted)."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    labels = np.asarray(groups, dtype=object)
    present = set(labels.tolist())
    ordered = [group for group in order if group in present] + sorted(present - set(order))
    report = {}
    for group in ordered:
        mask = labels == group
        report[group] = {
            "rmse": float(np.sqrt(np.mean((actual[mask] - predicted[mask]) ** 2))),
            "count": int(mask.sum()),
        }
    return report


def fairness_report(
    actual: np.ndarray,
    predicted: np.ndarray,
    attributes: Mapping[str, Sequence[str]],
    *,
    min_group_size: int,
    orders: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Per sensitive attribute, RMSE per group; plus the largest RMSE gap within any attribute.

    Only groups with at least ``min_group_size`` records count towards the gap: the RMSE of a
    handful of records is mostly noise. When no attribute has two such groups the gap is 0.0
    with ``"measurable": false``, so a reader can tell "fair" from "too little data";
    ``attributes_compared`` counts the attributes that had two such groups (the pipeline's gate
    requires at least one, so an unmeasured model is never registered as fair).
    """
    orders = orders or {}
    report: dict[str, Any] = {}
    best: dict[str, Any] = {"value": 0.0, "attribute": None, "groups": [], "measurable": False}
    attributes_compared = 0
    for attribute, groups in attributes.items():
        per_group = group_rmse(actual, predicted, groups, orders.get(attribute, ()))
        report[attribute] = per_group
        eligible = {
            group: entry for group, entry in per_group.items() if entry["count"] >= min_group_size
        }
        if len(eligible) < 2:
            continue
        attributes_compared += 1
        worst = max(eligible, key=lambda group: eligible[group]["rmse"])
        best_served = min(eligible, key=lambda group: eligible[group]["rmse"])
        gap = eligible[worst]["rmse"] - eligible[best_served]["rmse"]
        if not best["measurable"] or gap > best["value"]:
            best = {
                "value": gap,
                "attribute": attribute,
                "groups": [worst, best_served],
                "measurable": True,
            }
    best["min_group_size"] = min_group_size
    best["attributes_compared"] = attributes_compared
    report["largest_gap"] = best
    return report


def baseline_report(
    actual: np.ndarray, g2: np.ndarray, train_mean: float
) -> dict[str, dict[str, float]]:
    """RMSE of two naive predictors a model must beat: the training mean, and G3 = G2."""
    actual = np.asarray(actual, dtype=float)
    return {
        "predict_mean": {"rmse": float(np.sqrt(np.mean((actual - train_mean) ** 2)))},
        "predict_g2": {
            "rmse": float(np.sqrt(np.mean((actual - np.asarray(g2, dtype=float)) ** 2)))
        },
    }
