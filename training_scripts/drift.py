"""Drift check (SageMaker Processing job on a schedule): captured traffic against the baseline.

Compares the endpoint's captured requests and predictions of the last ``--window-hours`` with
the training split's baseline (see drift_stats.py for the figures) and publishes the figures as
CloudWatch metrics (drift_metrics.py names them); CloudWatch alarms hold the thresholds. The
full report (figures per feature, places of unreadable captures, never their content) is
printed as one JSON line to the job's log.

The job fails (exit 1) only when it cannot compare at all (no baseline, unknown model): that
fails the scheduled pipeline execution, which the platform's pipeline-failure rule reports.
A window without captures is not a failure: it publishes RecordsCompared = 0.

In AWS (arguments set by the monitoring stack)::

    drift.py --endpoint-name E --capture-uri s3://curated/capture \\
        --model-package-arn arn:...:model-package/group/3 --processed-uri s3://curated/processed \\
        --namespace MlPlatform/Drift --window-hours 24 --min-records 200 --region us-east-1

Locally (``tools/drift_report.py`` wraps this)::

    python training_scripts/drift.py --capture-dir captures/ --baseline-file baseline.json \\
        --min-records 50 --no-publish
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from contract import Contract, load_contract
from drift_aws import (
    DriftInputError,
    baseline_prefix_of_model,
    capture_keys,
    load_baseline,
    metric_data,
    publish,
    read_captures,
)
from drift_capture import CapturedBatch, read_capture_lines
from drift_stats import BaselineError, DriftReport, compare

LOG = logging.getLogger("drift")


@dataclass
class DriftRun:
    report: DriftReport
    batch: CapturedBatch
    window: dict[str, Any]

    @property
    def unreadable(self) -> int:
        return self.batch.unreadable_inputs + self.batch.unreadable_outputs

    def document(self) -> dict[str, Any]:
        return {
            **self.report.document(),
            "window": self.window,
            "capture_events": self.batch.events,
            "unreadable_inputs": self.batch.unreadable_inputs,
            "unreadable_outputs": self.batch.unreadable_outputs,
            "unreadable_examples": self.batch.problems,
        }


def read_local_captures(directory: Path, contract: Contract) -> CapturedBatch:
    if not directory.is_dir():
        raise DriftInputError(f"capture directory {directory} does not exist")
    batch = CapturedBatch()
    for path in sorted(directory.rglob("*.jsonl")):
        with open(path, encoding="utf-8", errors="replace") as lines:
            read_capture_lines(lines, str(path), batch, contract)
    return batch


def _aws_clients(region: str | None) -> dict[str, Any]:
    import boto3  # only the AWS mode needs it

    session = boto3.session.Session(region_name=region)
    return {name: session.client(name) for name in ("s3", "sagemaker", "cloudwatch")}


def run(args: argparse.Namespace, clients: dict[str, Any] | None = None) -> DriftRun:
    contract = load_contract()
    needs_aws = args.capture_uri or args.baseline_uri or args.model_package_arn
    if needs_aws or not args.no_publish:
        clients = clients or _aws_clients(args.region)
    # timezone.utc, not datetime.UTC: the SageMaker container runs Python 3.10.
    end = args.end or datetime.now(timezone.utc)  # noqa: UP017

    if args.baseline_file:
        baseline = json.loads(Path(args.baseline_file).read_text(encoding="utf-8"))
    else:
        assert clients is not None
        baseline_uri = args.baseline_uri or baseline_prefix_of_model(
            clients["sagemaker"], args.model_package_arn, args.processed_uri
        )
        baseline = load_baseline(clients["s3"], baseline_uri, contract)

    if args.capture_dir:
        batch = read_local_captures(Path(args.capture_dir), contract)
        window: dict[str, Any] = {"directory": str(args.capture_dir)}
    else:
        assert clients is not None
        bucket, keys = capture_keys(
            clients["s3"], args.capture_uri, args.endpoint_name, end, args.window_hours
        )
        batch = read_captures(clients["s3"], bucket, keys, contract)
        window = {"end": end.isoformat(), "hours": args.window_hours, "files": len(keys)}

    report = compare(
        baseline, batch.records, batch.predictions, contract, min_records=args.min_records
    )
    result = DriftRun(report=report, batch=batch, window=window)
    if not args.no_publish:
        assert clients is not None
        publish(
            clients["cloudwatch"],
            args.namespace,
            metric_data(report, result.unreadable, args.endpoint_name, end),
        )
    return result


def _timestamp(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a time zone, e.g. 2024-05-01T10:00Z")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    captures = parser.add_mutually_exclusive_group(required=True)
    captures.add_argument("--capture-uri", help="the endpoint's data capture destination (s3://)")
    captures.add_argument("--capture-dir", type=Path, help="local folder of capture .jsonl files")
    baseline = parser.add_mutually_exclusive_group(required=True)
    baseline.add_argument("--baseline-uri", help="s3:// baseline.json, or a folder of them")
    baseline.add_argument("--baseline-file", type=Path, help="local baseline.json")
    baseline.add_argument(
        "--model-package-arn", help="find the baseline of this model (with --processed-uri)"
    )
    parser.add_argument("--processed-uri", help="the pipeline's processed prefix (s3://)")
    parser.add_argument("--endpoint-name", default="local", help="metric dimension EndpointName")
    parser.add_argument("--window-hours", type=int, default=24)
    parser.add_argument("--end", type=_timestamp, help="window end (ISO 8601), default now")
    parser.add_argument("--min-records", type=int, default=200)
    parser.add_argument("--namespace", help="CloudWatch namespace of the figures")
    parser.add_argument("--region", help="AWS region (default: the environment's)")
    parser.add_argument("--no-publish", action="store_true", help="print only, no PutMetricData")
    parser.add_argument("--report-file", type=Path, help="also write the report here (JSON)")
    args = parser.parse_args(argv)
    if args.model_package_arn and not args.processed_uri:
        parser.error("--model-package-arn needs --processed-uri")
    if args.capture_uri and args.endpoint_name == "local":
        parser.error("--capture-uri needs --endpoint-name")
    if not args.no_publish and not args.namespace:
        parser.error("--namespace is required unless --no-publish")
    if args.window_hours < 1 or args.min_records < 1:
        parser.error("--window-hours and --min-records must be >= 1")
    return args


def main(argv: Sequence[str] | None = None, clients: dict[str, Any] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = parse_args(argv)
    try:
        result = run(args, clients)
    except (DriftInputError, BaselineError) as error:
        LOG.error("%s", error)
        return 1
    document = result.document()
    if args.report_file:
        args.report_file.parent.mkdir(parents=True, exist_ok=True)
        args.report_file.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
