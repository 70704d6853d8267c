"""Run the drift check locally on capture files and a baseline; print what the alarms would say.

The same code as the scheduled job (``training_scripts/drift.py``), without AWS: captures are
SageMaker data-capture ``.jsonl`` files under a folder (as downloaded from
``s3://<curated>/capture/<endpoint>/``), the baseline is a preprocess ``baseline.json``. The
thresholds are the stage's (``monitoring.drift`` in cdk.json)::

    python -m tools.drift_report --captures captures/ --baseline baseline.json --stage prod
    python -m tools.drift_report ... --json        # the job's full report instead of the table
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from contract import load_contract
from drift import read_local_captures
from drift_aws import DriftInputError
from drift_stats import BaselineError, DriftReport, compare
from stacks.config import cdk_json_context, parse_stage_config
from stacks.config.monitoring import DriftConfig


def _flag(value: float | None, limit: float) -> str:
    if value is None:
        return "n/a"
    return "ALARM" if value > limit else "ok"


def render(report: DriftReport, unreadable: int, thresholds: DriftConfig) -> str:
    lines = [
        f"records compared: {report.records}   predictions: {report.predictions}   "
        f"unreadable captures: {unreadable}",
    ]
    if not report.enough_records:
        lines.append(
            f"fewer than min_records ({thresholds.min_records}): no PSI, as in the scheduled job"
        )
    share = report.out_of_contract_share
    lines.append(
        f"out-of-contract share: {'n/a' if share is None else f'{share:.4f}'} "
        f"(alarm above {thresholds.max_out_of_contract_share}) "
        f"{_flag(share, thresholds.max_out_of_contract_share)}"
    )
    for name, count in sorted(report.out_of_contract_by_feature.items()):
        lines.append(f"    {name}: {count} record(s) outside the contract")
    prediction = report.prediction_psi
    lines.append(
        f"prediction PSI: {'n/a' if prediction is None else f'{prediction:.4f}'} "
        f"(alarm above {thresholds.max_prediction_psi}) "
        f"{_flag(prediction, thresholds.max_prediction_psi)}"
    )
    if report.feature_psi:
        lines.append(f"feature PSI (alarm above {thresholds.max_feature_psi}), largest first:")
        for name, value in sorted(report.feature_psi.items(), key=lambda item: -item[1]):
            lines.append(f"    {name:<12} {value:8.4f}  {_flag(value, thresholds.max_feature_psi)}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=Path, required=True, help="folder of capture .jsonl")
    parser.add_argument("--baseline", type=Path, required=True, help="baseline.json")
    parser.add_argument("--stage", default="dev", help="thresholds of this stage (cdk.json)")
    parser.add_argument("--min-records", type=int, help="override the stage's min_records")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    thresholds = parse_stage_config(args.stage, cdk_json_context()["ml-platform:stages"])
    drift = thresholds.monitoring.drift
    contract = load_contract()
    try:
        baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
        batch = read_local_captures(args.captures, contract)
        report = compare(
            baseline,
            batch.records,
            batch.predictions,
            contract,
            min_records=args.min_records or drift.min_records,
        )
    except (OSError, json.JSONDecodeError, DriftInputError, BaselineError) as error:
        print(f"drift_report: {error}", file=sys.stderr)
        return 1
    unreadable = batch.unreadable_inputs + batch.unreadable_outputs
    if args.json:
        document = {**report.document(), "unreadable_examples": batch.problems}
        print(json.dumps(document, indent=2))
    else:
        print(render(report, unreadable, drift))
        for problem in batch.problems:
            print(f"unreadable: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
