"""Validate a local CSV file against the data contract, exactly as the upload Lambda does.

    python -m tools.validate_file students.csv [--max-bytes N] [--min-rows N] [--max-rows N]

Prints the validation report as JSON. Exit status: 0 accepted, 1 rejected, 2 usage error
(bad arguments, unreadable file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from validator.validation import ValidationLimits, iter_path, validate_chunks

EXIT_ACCEPTED, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    defaults = ValidationLimits()
    parser = argparse.ArgumentParser(
        prog="python -m tools.validate_file",
        description="Validate a CSV file against the student-records data contract.",
    )
    parser.add_argument("path", type=Path, help="CSV file to validate")
    parser.add_argument("--max-bytes", type=_positive_int, default=defaults.max_bytes)
    parser.add_argument("--min-rows", type=_positive_int, default=defaults.min_rows)
    parser.add_argument("--max-rows", type=_positive_int, default=defaults.max_rows)
    parser.add_argument(
        "--max-problems", type=_positive_int, default=defaults.max_problems_listed,
        help="problems listed in detail in the report (all are counted)",
    )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_ACCEPTED  # --help exits 0
    try:
        limits = ValidationLimits(
            max_bytes=args.max_bytes,
            min_rows=args.min_rows,
            max_rows=args.max_rows,
            max_problems_listed=args.max_problems,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        size = args.path.stat().st_size
        report = validate_chunks(
            iter_path(args.path),
            limits=limits,
            declared_size=size,
            reread=lambda: iter_path(args.path),  # only to locate duplicate rows
        )
    except OSError as error:
        print(f"error: cannot read {args.path}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    document = report.to_dict()
    document["source"] = {"path": str(args.path), "size": size}
    print(json.dumps(document, indent=2))
    return EXIT_ACCEPTED if report.accepted else EXIT_REJECTED


if __name__ == "__main__":
    raise SystemExit(main())
