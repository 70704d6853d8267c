"""The drift figures on generated data: undrifted traffic stays under the configured thresholds,
drifted traffic goes past them, on the feature that drifted."""

from __future__ import annotations

import pytest

from contract import load_contract
from drift_stats import BaselineError, build_bins, compare, psi
from stacks.config import cdk_json_context, parse_stage_config

from . import drift_data as data

CONTRACT = load_contract()
STAGES = cdk_json_context()["ml-platform:stages"]
# The strictest thresholds any stage sets: "undrifted" must pass everywhere ...
THRESHOLDS = [parse_stage_config(name, STAGES).monitoring.drift for name in sorted(STAGES)]
MIN_PSI = min(t.max_feature_psi for t in THRESHOLDS)
MIN_PREDICTION_PSI = min(t.max_prediction_psi for t in THRESHOLDS)
MIN_SHARE = min(t.max_out_of_contract_share for t in THRESHOLDS)
# ... and "drifted" must alarm everywhere.
MAX_PSI = max(t.max_feature_psi for t in THRESHOLDS)
MAX_PREDICTION_PSI = max(t.max_prediction_psi for t in THRESHOLDS)
MAX_SHARE = max(t.max_out_of_contract_share for t in THRESHOLDS)
RECORDS = 2000


@pytest.fixture(scope="module")
def baseline():
    return data.baseline_document()


@pytest.fixture(scope="module")
def traffic():
    """Undrifted traffic: same process as the training data, other seed."""
    return data.generated_columns(RECORDS, seed=7)


def _compare(baseline, columns, records=None):
    records = records if records is not None else data.records_of(columns)
    return compare(baseline, records, data.predictions_of(columns), CONTRACT, min_records=200)


def test_undrifted_traffic_stays_under_every_threshold(baseline, traffic):
    report = _compare(baseline, traffic)
    assert report.records == RECORDS and report.enough_records
    assert set(report.feature_psi) == {c.name for c in CONTRACT.feature_columns}
    assert report.max_feature_psi < MIN_PSI / 2, report.feature_psi
    assert report.prediction_psi is not None and report.prediction_psi < MIN_PREDICTION_PSI / 2
    assert report.out_of_contract_share == 0.0 < MIN_SHARE


@pytest.mark.parametrize(
    ("shift", "feature"),
    [
        (data.older_students, "age"),
        (data.weaker_grades, "G2"),
        (data.all_from_one_school, "school"),
    ],
)
def test_a_shifted_feature_goes_past_the_threshold_and_is_named(baseline, traffic, shift, feature):
    report = _compare(baseline, shift(traffic))
    assert report.max_feature_psi > MAX_PSI
    assert report.feature_psi[feature] > MAX_PSI
    assert report.most_shifted_feature in {feature, "G1"}  # G1 and G2 shift together
    unshifted = {"sex", "famsize", "Mjob", "absences"}
    assert all(report.feature_psi[name] < MIN_PSI / 2 for name in unshifted)


def test_weaker_grades_shift_the_predictions_past_the_threshold(baseline, traffic):
    report = _compare(baseline, data.weaker_grades(traffic))
    assert report.prediction_psi > MAX_PREDICTION_PSI


def test_out_of_contract_values_raise_the_share_and_are_left_out_of_the_psi(baseline, traffic):
    records = data.with_out_of_contract_ages(data.records_of(traffic), every=20)
    report = _compare(baseline, traffic, records)
    assert report.out_of_contract_records == RECORDS // 20
    assert report.out_of_contract_share == pytest.approx(0.05)
    assert report.out_of_contract_share > MAX_SHARE
    assert report.out_of_contract_by_feature == {"age": RECORDS // 20}
    assert report.feature_psi["age"] < MIN_PSI / 2  # the valid ages still look like training


def test_below_min_records_only_counts_are_reported(baseline, traffic):
    columns = {name: values[:50] for name, values in traffic.items()}
    report = compare(
        baseline, data.records_of(columns), data.predictions_of(columns), CONTRACT, min_records=200
    )
    assert report.records == 50 and not report.enough_records
    assert report.feature_psi == {} and report.max_feature_psi is None
    assert report.prediction_psi is None
    assert report.out_of_contract_share == 0.0


def test_no_traffic_gives_no_share_and_no_psi(baseline):
    report = compare(baseline, [], [], CONTRACT, min_records=1)
    assert report.records == 0 and report.out_of_contract_share is None
    assert report.max_feature_psi is None and report.prediction_psi is None


def test_psi_is_zero_for_identical_distributions_and_grows_with_the_shift():
    expected = [0.25, 0.25, 0.5]
    import numpy as np

    assert psi(np.array(expected), np.array([25.0, 25.0, 50.0])) == pytest.approx(0.0)
    small = psi(np.array(expected), np.array([30.0, 25.0, 45.0]))
    large = psi(np.array(expected), np.array([60.0, 20.0, 20.0]))
    assert 0 < small < large


def test_wide_integer_columns_get_quantile_bins_covering_every_value(baseline):
    absences = CONTRACT.column("absences")  # 0..93: far more values than bins
    bins = build_bins(absences, baseline["features"]["absences"]["counts"])
    assert 2 <= bins.count <= 10
    assert set(bins.index_of) == {str(v) for v in range(absences.minimum, absences.maximum + 1)}
    assert sorted(set(bins.index_of.values())) == list(range(bins.count))
    assert bins.expected.sum() == pytest.approx(1.0)
    assert (bins.expected > 0).all()
    # Bins follow the value order: a larger value never falls in an earlier bin.
    positions = [bins.index_of[str(v)] for v in range(absences.minimum, absences.maximum + 1)]
    assert positions == sorted(positions)


def test_categories_and_narrow_integers_get_one_bin_per_value(baseline):
    mjob = CONTRACT.column("Mjob")
    assert build_bins(mjob, baseline["features"]["Mjob"]["counts"]).count == len(mjob.allowed)
    medu = CONTRACT.column("Medu")  # 0..4
    assert build_bins(medu, baseline["features"]["Medu"]["counts"]).count == 5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.update(format="other/1"), "baseline format"),
        (lambda b: b["contract"].update(version="0.0.1"), "contract version '0.0.1'"),
        (lambda b: b["features"].pop("age"), "no counts for column 'age'"),
        (lambda b: b["features"]["sex"]["counts"].update(X=3), "values outside the contract"),
    ],
)
def test_a_baseline_that_does_not_fit_is_refused_with_the_reason(
    baseline, traffic, change, message
):
    import copy

    broken = copy.deepcopy(baseline)
    change(broken)
    with pytest.raises(BaselineError, match=message):
        _compare(broken, traffic)
