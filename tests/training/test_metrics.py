"""Metrics for evaluation.json: values, bootstrap deviations, fairness gaps, naive baselines."""

from __future__ import annotations

import numpy as np
import pytest

import metrics


def test_regression_metrics_on_known_values() -> None:
    result = metrics.regression_metrics(
        np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 6.0])
    )
    assert result["mse"] == pytest.approx(1.0)
    assert result["rmse"] == pytest.approx(1.0)
    assert result["mae"] == pytest.approx(0.5)
    assert result["r2"] == pytest.approx(1 - 4 / 5)


def test_r2_is_undefined_when_every_target_is_equal() -> None:
    assert metrics.regression_metrics(np.array([3.0, 3.0]), np.array([2.0, 4.0]))["r2"] is None


def test_mismatched_or_empty_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="equally many"):
        metrics.regression_metrics(np.array([1.0]), np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="equally many"):
        metrics.regression_metrics(np.array([]), np.array([]))


def test_bootstrap_is_seeded_and_shrinks_with_more_records() -> None:
    rng = np.random.default_rng(0)
    actual = rng.normal(10, 3, 4000)
    predicted = actual + rng.normal(0, 1, 4000)
    first = metrics.bootstrap_standard_deviations(actual, predicted, samples=100, seed=1)
    assert first == metrics.bootstrap_standard_deviations(actual, predicted, samples=100, seed=1)
    small = metrics.bootstrap_standard_deviations(
        actual[:100], predicted[:100], samples=100, seed=1
    )
    assert 0 < first["rmse"] < small["rmse"]
    # The RMSE of n errors of SD 1 has a standard error of about 1/sqrt(2n).
    assert first["rmse"] == pytest.approx(1 / np.sqrt(2 * 4000), rel=0.3)


def test_regression_report_has_the_sagemaker_shape() -> None:
    report = metrics.regression_report(np.arange(10.0), np.arange(10.0) + 1, samples=20, seed=0)
    assert set(report) == {"mse", "rmse", "mae", "r2"}
    assert report["rmse"]["value"] == pytest.approx(1.0)
    assert set(report["rmse"]) == {"value", "standard_deviation"}


def test_group_rmse_keeps_the_domain_order_then_sorts_the_rest() -> None:
    report = metrics.group_rmse(
        np.array([1.0, 1.0, 1.0]), np.array([2.0, 1.0, 4.0]), ["b", "a", "z"], ["z", "b"]
    )
    assert list(report) == ["z", "b", "a"]
    assert report["z"] == {"rmse": 3.0, "count": 1}


def test_fairness_gap_is_the_largest_within_one_attribute_among_big_enough_groups() -> None:
    actual = np.zeros(100)
    predicted = np.concatenate([np.full(50, 1.0), np.full(48, 3.0), np.full(2, 20.0)])
    attributes = {
        "sex": ["F"] * 50 + ["M"] * 50,  # RMSE 1 vs sqrt(24.64): gap about 3.96
        "school": ["GP"] * 25 + ["MS"] * 75,  # RMSE 1 vs sqrt(16.76): gap about 3.09
        "age": ["15"] * 98 + ["22"] * 2,  # gap about 17.8, but a group of 2 is noise: ignored
    }
    report = metrics.fairness_report(actual, predicted, attributes, min_group_size=10)
    gap = report["largest_gap"]
    assert gap["attribute"] == "sex"
    assert gap["value"] == pytest.approx(np.sqrt(24.64) - 1)
    assert gap["groups"] == ["M", "F"] and gap["measurable"] is True and gap["min_group_size"] == 10
    assert gap["attributes_compared"] == 2  # sex and school; age has one group of 10+ only
    assert report["age"]["22"] == {"rmse": 20.0, "count": 2}


def test_fairness_gap_says_when_it_cannot_be_measured() -> None:
    report = metrics.fairness_report(
        np.zeros(4), np.ones(4), {"sex": ["F", "F", "M", "M"]}, min_group_size=3
    )
    assert report["largest_gap"]["value"] == 0.0
    assert report["largest_gap"]["measurable"] is False
    assert report["largest_gap"]["attributes_compared"] == 0  # the pipeline's gate then fails
    assert report["sex"]["F"] == {"rmse": 1.0, "count": 2}


def test_baselines() -> None:
    report = metrics.baseline_report(
        np.array([10.0, 12.0]), np.array([10.0, 10.0]), train_mean=11.0
    )
    assert report["predict_mean"]["rmse"] == pytest.approx(1.0)
    assert report["predict_g2"]["rmse"] == pytest.approx(np.sqrt(2.0))
