"""SageMaker Processing step: check records against the contract, split, write baseline.

Reads every file under the input directory (with several instances SageMaker gives each one a
subset of the files; every decision here is per record, so each shard's output is correct on
its own). Rows the contract rejects are dropped, counted by reason and logged, never silently.
Each valid record goes to train, validation or test by a stable hash of its content, so its
split does not depend on sharding.

Outputs (paths are the container's; override them for local runs)::

    /opt/ml/processing/output/train/train-<host>.csv         (contract format, header)
    /opt/ml/processing/output/validation/validation-<host>.csv
    /opt/ml/processing/output/test/test-<host>.csv
    /opt/ml/processing/output/baseline/baseline.json         (baseline-<host>.json when several
                                                              instances; merge_baselines joins them)
    /opt/ml/processing/output/report/preprocess-<host>.json  (row counts, rejections by reason)

File names carry the host name because every instance uploads to the same S3 prefix.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from baseline import BaselineAccumulator
from features import (
    CONTRACT,
    FILE_ENCODING,
    SPLITS,
    WRONG_FIELD_COUNT,
    DataError,
    canonical,
    column_positions,
    csv_reader,
    first_problem,
    list_data_files,
    split_of,
)

LOG = logging.getLogger("preprocess")

PROCESSING_ROOT = Path("/opt/ml/processing")
RESOURCE_CONFIG = Path("/opt/ml/config/resourceconfig.json")
EXAMPLES_PER_REASON = 5  # rejected rows logged in full per reason; the rest only counted


@dataclass(frozen=True)
class Host:
    name: str
    count: int


def current_host(resource_config: Path) -> Host:
    """This instance's name and the instance count, from SageMaker's resource config."""
    if not resource_config.is_file():
        return Host("local", 1)
    config = json.loads(resource_config.read_text(encoding="utf-8"))
    return Host(str(config["current_host"]), len(config.get("hosts", [])) or 1)


@dataclass
class PreprocessSummary:
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    blank_lines: int = 0
    written: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    def document(self, host: Host) -> dict[str, Any]:
        return {
            "host": host.name,
            "files": self.files,
            "rows_read": self.rows_read,
            "rows_written": {split: self.written[split] for split in SPLITS},
            "rows_rejected": self.rows_rejected,
            "rejected_by_reason": dict(sorted(self.rejected.items())),
            "blank_lines_skipped": self.blank_lines,
        }


class _SplitWriters:
    """One open CSV file per split, each starting with the contract header."""

    def __init__(self, output_dir: Path, host: Host, files: ExitStack) -> None:
        self._handles: dict[str, TextIO] = {}
        for split in SPLITS:
            directory = output_dir / split
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / f"{split}-{host.name}.csv"
            handle = files.enter_context(open(path, "w", encoding="utf-8", newline=""))  # noqa: SIM115
            handle.write(CONTRACT.delimiter.join(CONTRACT.column_names) + "\n")
            self._handles[split] = handle

    def write(self, split: str, values: Sequence[str]) -> None:
        # Canonical values never contain the delimiter, quotes or newlines: no quoting needed.
        self._handles[split].write(CONTRACT.delimiter.join(values) + "\n")


def preprocess(
    input_dir: Path,
    output_dir: Path,
    *,
    host: Host,
    train_fraction: float = 0.7,
    validation_fraction: float = 0.15,
    split_salt: str = "",
    max_rejected_fraction: float = 0.05,
) -> PreprocessSummary:
    """Check, split and write every record under ``input_dir``; returns what happened."""
    if not (0 < train_fraction < 1 and 0 <= validation_fraction < 1 - train_fraction):
        raise ValueError("need 0 < train_fraction and train_fraction + validation_fraction < 1")
    paths = list_data_files(input_dir)
    if not paths:
        raise DataError(f"no input files under {input_dir}")
    summary = PreprocessSummary()
    baseline = BaselineAccumulator(CONTRACT)
    with ExitStack() as files:
        writers = _SplitWriters(output_dir, host, files)
        for path in paths:
            summary.files.append(str(path.relative_to(input_dir)))
            try:
                _process_file(
                    path,
                    summary,
                    baseline,
                    writers,
                    train_fraction,
                    validation_fraction,
                    split_salt,
                )
            except (UnicodeDecodeError, csv.Error) as error:
                raise DataError(
                    f"{path}: not readable as {CONTRACT.encoding} CSV: {error}"
                ) from None

    _write_json(output_dir / "report" / f"preprocess-{host.name}.json", summary.document(host))
    baseline_name = "baseline.json" if host.count == 1 else f"baseline-{host.name}.json"
    _write_json(output_dir / "baseline" / baseline_name, baseline.document("train"))
    _log_summary(summary)

    if summary.rows_read and summary.rows_rejected / summary.rows_read > max_rejected_fraction:
        raise DataError(
            f"{summary.rows_rejected} of {summary.rows_read} rows rejected, more than the "
            f"allowed fraction {max_rejected_fraction}; see the report for reasons"
        )
    if sum(summary.written.values()) == 0:
        raise DataError(f"no valid records in {len(paths)} input file(s)")
    return summary


def _process_file(
    path: Path,
    summary: PreprocessSummary,
    baseline: BaselineAccumulator,
    writers: _SplitWriters,
    train_fraction: float,
    validation_fraction: float,
    split_salt: str,
) -> None:
    with open(path, encoding=FILE_ENCODING, newline="") as handle:
        reader = csv_reader(handle)
        header = next(reader, None)
        if header is None:
            LOG.warning("%s is empty", path)
            return
        positions = column_positions(header, required=CONTRACT.column_names, source=str(path))
        for row in reader:
            if not row:
                summary.blank_lines += 1
                continue
            summary.rows_read += 1
            if len(row) != len(header):
                _reject(
                    summary,
                    WRONG_FIELD_COUNT,
                    f"{path}:{reader.line_num}: {len(row)} fields, header has {len(header)}",
                )
                continue
            record = {name: row[position] for name, position in positions.items()}
            problem = first_problem(record)
            if problem is not None:
                _reject(summary, problem.reason, f"{path}:{reader.line_num}: {problem.describe()}")
                continue
            values = canonical(record)
            split = split_of(
                values,
                train_fraction=train_fraction,
                validation_fraction=validation_fraction,
                salt=split_salt,
            )
            writers.write(split, values)
            summary.written[split] += 1
            if split == "train":
                baseline.add(values)


def _reject(summary: PreprocessSummary, reason: str, message: str) -> None:
    summary.rejected[reason] += 1
    if summary.rejected[reason] <= EXAMPLES_PER_REASON:
        LOG.warning("rejected %s", message)


def _log_summary(summary: PreprocessSummary) -> None:
    LOG.info(
        "read %d rows from %d file(s); wrote %s; rejected %d",
        summary.rows_read,
        len(summary.files),
        ", ".join(f"{split}={summary.written[split]}" for split in SPLITS),
        summary.rows_rejected,
    )
    for reason, count in sorted(summary.rejected.items()):
        LOG.info("rejected %d row(s) for %s", count, reason)


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input-dir", type=Path, default=PROCESSING_ROOT / "input" / "data")
    parser.add_argument("--output-dir", type=Path, default=PROCESSING_ROOT / "output")
    parser.add_argument("--resource-config", type=Path, default=RESOURCE_CONFIG)
    parser.add_argument("--train-fraction", type=float, default=0.7)
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--split-salt", default="", help="change to draw a different split")
    parser.add_argument(
        "--max-rejected-fraction",
        type=float,
        default=0.05,
        help="fail the job when more than this fraction of rows is rejected",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = parse_args(argv)
    host = current_host(args.resource_config)
    try:
        preprocess(
            args.input_dir,
            args.output_dir,
            host=host,
            train_fraction=args.train_fraction,
            validation_fraction=args.validation_fraction,
            split_salt=args.split_salt,
            max_rejected_fraction=args.max_rejected_fraction,
        )
    except DataError as error:
        LOG.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
