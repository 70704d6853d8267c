"""Compare captured records and predictions with the training baseline: PSI and contract checks.

The baseline is preprocess.py's ``baseline.json`` (baseline.py): per column, the count of every
value in the contract's domain over the training split, for the features and the target G3.

* Per feature, the population stability index (PSI) between the baseline's distribution and the
  captured one: PSI = sum over bins of (actual - expected) * ln(actual / expected). Categories
  are one bin each; integers too when they have at most ``MAX_BINS`` values, otherwise
  neighbouring values are merged into about ``MAX_BINS`` bins of similar baseline mass
  (quantile bins). Values outside the contract are left out of the PSI and counted instead.
* The share of records with at least one field outside the data contract (contract.py).
* The prediction shift: the PSI between the predictions (rounded to whole grades, clipped to
  G3's range) and the baseline's G3 distribution. A model's predictions are narrower than the
  true grades, so even without drift this is a small positive number (about 0.01 for a model
  close to the best possible one on the synthetic data), far below usual thresholds.

Below ``min_records`` the PSI is not computed: with few records it measures sampling noise
(its expected value without any drift is about (bins - 1) / records).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from baseline import BASELINE_FORMAT
from contract import CATEGORY, Column, Contract

MAX_BINS = 10
# Empty bins get this proportion instead of 0, so that ln(actual / expected) stays finite.
EMPTY_BIN_PROPORTION = 1e-4


class BaselineError(ValueError):
    """The baseline document cannot be used for this contract."""


@dataclass(frozen=True)
class Bins:
    """Which bin each (canonical) value of one column falls in."""

    index_of: Mapping[str, int]
    expected: np.ndarray  # baseline proportion per bin

    @property
    def count(self) -> int:
        return len(self.expected)


def _baseline_entry(baseline: Mapping[str, Any], column: Column, target: str) -> Mapping[str, Any]:
    section = "target" if column.name == target else "features"
    try:
        entry = baseline[section][column.name]
        counts = entry["counts"]
    except (KeyError, TypeError):
        raise BaselineError(f"baseline has no counts for column {column.name!r}") from None
    if not isinstance(counts, Mapping):
        raise BaselineError(f"baseline counts of {column.name!r} are not an object")
    return entry


def _domain(column: Column) -> list[str]:
    if column.kind == CATEGORY:
        return list(column.allowed)
    assert column.minimum is not None and column.maximum is not None
    return [str(value) for value in range(column.minimum, column.maximum + 1)]


def build_bins(column: Column, counts: Mapping[str, Any], max_bins: int = MAX_BINS) -> Bins:
    """Bins of one column from its baseline counts (quantile-merged for wide integer domains)."""
    domain = _domain(column)
    unexpected = sorted(set(counts) - set(domain))
    if unexpected:
        raise BaselineError(f"baseline of {column.name!r} counts values outside the contract")
    mass = np.array([float(counts.get(value, 0)) for value in domain])
    if (mass < 0).any():
        raise BaselineError(f"baseline of {column.name!r} has negative counts")
    total = mass.sum()
    if total <= 0:
        raise BaselineError(f"baseline of {column.name!r} counts no rows")
    if column.kind == CATEGORY or len(domain) <= max_bins:
        index_of = {value: position for position, value in enumerate(domain)}
        return Bins(index_of=index_of, expected=mass / total)
    # Close a bin each time the cumulative baseline share passes the next multiple of
    # 1/max_bins; a value heavier than one step gets a bin of its own.
    index_of: dict[str, int] = {}
    bin_mass: list[float] = []
    cumulative, current, step = 0.0, 0.0, 1.0 / max_bins
    next_cut = step
    for value, weight in zip(domain, mass, strict=True):
        index_of[value] = len(bin_mass)
        current += weight
        cumulative += weight / total
        if cumulative >= next_cut - 1e-9 and value != domain[-1]:
            bin_mass.append(current)
            current = 0.0
            next_cut = (math.floor(cumulative / step + 1e-9) + 1) * step
    bin_mass.append(current)
    if bin_mass[-1] == 0 and len(bin_mass) > 1:
        # Nothing in the baseline above the last cut: fold the empty tail into the bin before.
        tail = len(bin_mass) - 1
        index_of = {value: min(position, tail - 1) for value, position in index_of.items()}
        bin_mass.pop()
    expected = np.array(bin_mass) / total
    return Bins(index_of=index_of, expected=expected)


def psi(expected: np.ndarray, actual_counts: np.ndarray) -> float:
    """Population stability index of observed counts against expected proportions."""
    total = actual_counts.sum()
    if total <= 0:
        raise ValueError("no observations to compare")
    actual = np.clip(actual_counts / total, EMPTY_BIN_PROPORTION, None)
    reference = np.clip(expected, EMPTY_BIN_PROPORTION, None)
    return float(np.sum((actual - reference) * np.log(actual / reference)))


def canonical_value(column: Column, raw: str) -> str | None:
    """The value as the baseline counts it, or None when the contract rejects it."""
    if not column.accepts(raw):
        return None
    return raw if column.kind == CATEGORY else str(int(raw))


@dataclass
class DriftReport:
    records: int
    predictions: int
    enough_records: bool
    out_of_contract_records: int
    out_of_contract_share: float | None
    out_of_contract_by_feature: dict[str, int] = field(default_factory=dict)
    feature_psi: dict[str, float] = field(default_factory=dict)
    max_feature_psi: float | None = None
    most_shifted_feature: str | None = None
    prediction_psi: float | None = None

    def document(self) -> dict[str, Any]:
        return asdict(self)


def check_baseline(baseline: Mapping[str, Any], contract: Contract) -> None:
    if baseline.get("format") != BASELINE_FORMAT:
        raise BaselineError(
            f"baseline format is {baseline.get('format')!r}, expected {BASELINE_FORMAT!r}"
        )
    version = (baseline.get("contract") or {}).get("version")
    if version != contract.version:
        raise BaselineError(
            f"baseline was computed under contract version {version!r}, this code checks "
            f"{contract.version!r}: retrain (the pipeline writes a new baseline) or pin the code"
        )


def compare(
    baseline: Mapping[str, Any],
    records: Sequence[Mapping[str, str]],
    predictions: Sequence[float],
    contract: Contract,
    *,
    min_records: int,
) -> DriftReport:
    """The drift figures of captured ``records`` and ``predictions`` against ``baseline``."""
    check_baseline(baseline, contract)
    features = contract.feature_columns
    out_of_contract_by_feature = {column.name: 0 for column in features}
    out_of_contract = 0
    canonical_rows: list[list[str | None]] = []
    for record in records:
        row = [canonical_value(column, record.get(column.name, "")) for column in features]
        bad = [column.name for column, value in zip(features, row, strict=True) if value is None]
        for name in bad:
            out_of_contract_by_feature[name] += 1
        out_of_contract += bool(bad)
        canonical_rows.append(row)

    report = DriftReport(
        records=len(records),
        predictions=len(predictions),
        enough_records=len(records) >= min_records,
        out_of_contract_records=out_of_contract,
        out_of_contract_share=out_of_contract / len(records) if records else None,
        out_of_contract_by_feature={k: v for k, v in out_of_contract_by_feature.items() if v},
    )
    if report.enough_records:
        for position, column in enumerate(features):
            bins = build_bins(column, _baseline_entry(baseline, column, contract.target)["counts"])
            counts = np.zeros(bins.count)
            for row in canonical_rows:
                value = row[position]
                if value is not None:
                    counts[bins.index_of[value]] += 1
            if counts.sum() > 0:
                report.feature_psi[column.name] = psi(bins.expected, counts)
        if report.feature_psi:
            name = max(report.feature_psi, key=report.feature_psi.__getitem__)
            report.most_shifted_feature = name
            report.max_feature_psi = report.feature_psi[name]
    if len(predictions) >= min_records:
        report.prediction_psi = prediction_shift(baseline, predictions, contract)
    return report


def prediction_shift(
    baseline: Mapping[str, Any], predictions: Sequence[float], contract: Contract
) -> float:
    """PSI of the predictions (rounded to whole grades) against the baseline's target."""
    target = contract.column(contract.target)
    assert target.minimum is not None and target.maximum is not None
    bins = build_bins(target, _baseline_entry(baseline, target, contract.target)["counts"])
    counts = np.zeros(bins.count)
    for value in predictions:
        if not math.isfinite(value):
            raise ValueError("predictions must be finite numbers")
        grade = min(max(math.floor(value + 0.5), target.minimum), target.maximum)
        counts[bins.index_of[str(grade)]] += 1
    return psi(bins.expected, counts)
