"""The validation report: what was checked, what was wrong, and the verdict.

The report is machine-readable (``to_dict`` gives plain JSON types) and is written beside every
curated or quarantined file. Problems never quote more than a short excerpt of a value: the
data is about students.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

REPORT_FORMAT_VERSION = 1
VALUE_EXCERPT_CHARS = 40

ACCEPTED = "accepted"
REJECTED = "rejected"


class ProblemKind(StrEnum):
    FILE_TOO_LARGE = "file_too_large"
    EMPTY_FILE = "empty_file"
    ENCODING = "encoding"
    DELIMITER = "delimiter"
    HEADER = "header"
    LINE_TOO_LONG = "line_too_long"
    BLANK_LINE = "blank_line"
    QUOTING = "quoting"
    FIELD_COUNT = "field_count"
    MISSING_VALUE = "missing_value"
    NOT_INTEGER = "not_integer"
    OUT_OF_RANGE = "out_of_range"
    NOT_ALLOWED = "not_allowed"
    FORMULA_INJECTION = "formula_injection"
    DUPLICATE_ROW = "duplicate_row"
    TOO_FEW_ROWS = "too_few_rows"
    TOO_MANY_ROWS = "too_many_rows"
    # A line the compiled pattern rejected but the detailed check could not explain. Should
    # never happen; if it does the file is still rejected, never silently accepted.
    UNEXPLAINED = "unexplained"


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    reason: str
    line: int | None = None  # 1-based physical line in the file; line 1 is the header
    column: str | None = None
    value: str | None = None  # short escaped excerpt of the offending value, if any

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "kind": self.kind.value,
            "reason": self.reason,
            "value": self.value,
        }


def excerpt(raw: bytes | str) -> str:
    """A short, printable, escaped excerpt of a raw value for a report."""
    text = raw.decode("utf-8", errors="backslashreplace") if isinstance(raw, bytes) else raw
    shown = "".join(
        char if char.isprintable() else repr(char)[1:-1] for char in text[:VALUE_EXCERPT_CHARS]
    )
    return shown + ("..." if len(text) > VALUE_EXCERPT_CHARS else "")


@dataclass
class ValidationReport:
    contract_name: str
    contract_version: str
    limits: dict[str, int]
    bytes_read: int = 0
    rows: int = 0  # data rows seen (header excluded)
    rejected_rows: int = 0
    problem_counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # the first few, in file order
    max_problems_listed: int = 100
    complete: bool = True  # False when the scan stopped early (the verdict is then "rejected")
    stop_reason: str | None = None
    duplicates_checked_rows: int = 0  # valid rows compared with each other
    duplicates_suspected: int = 0  # rows whose hash repeats (before the bytes are compared)
    duplicates_located: bool = True  # False if they were counted by hash alone

    def add(self, problem: Problem) -> None:
        kind = problem.kind.value
        self.problem_counts[kind] = self.problem_counts.get(kind, 0) + 1
        if len(self.problems) < self.max_problems_listed:
            self.problems.append(problem)

    def merge_duplicates(self, located: ValidationReport) -> None:
        """Take the duplicate rows a second read located (its other problems are repeats)."""
        count = located.problem_counts.get(ProblemKind.DUPLICATE_ROW.value, 0)
        if count:
            self.problem_counts[ProblemKind.DUPLICATE_ROW.value] = count
            self.rejected_rows += count
            duplicates = [p for p in located.problems if p.kind == ProblemKind.DUPLICATE_ROW]
            # File order; problems of the whole file (no line) were found last and stay last.
            merged = sorted(self.problems + duplicates, key=lambda p: (p.line is None, p.line or 0))
            self.problems = merged[: self.max_problems_listed]

    def add_unlocated_duplicates(self, count: int) -> None:
        self.duplicates_located = False
        self.rejected_rows += count
        self.add(
            Problem(
                ProblemKind.DUPLICATE_ROW,
                f"{count} rows repeat earlier rows (by 64-bit hash; the file could not be read "
                "a second time to locate them)",
            )
        )
        self.problem_counts[ProblemKind.DUPLICATE_ROW.value] = count

    @property
    def problem_total(self) -> int:
        return sum(self.problem_counts.values())

    @property
    def accepted_rows(self) -> int:
        return self.rows - self.rejected_rows

    @property
    def verdict(self) -> str:
        return ACCEPTED if self.complete and not self.problem_counts else REJECTED

    @property
    def accepted(self) -> bool:
        return self.verdict == ACCEPTED

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_format": REPORT_FORMAT_VERSION,
            "contract": {"name": self.contract_name, "version": self.contract_version},
            "verdict": self.verdict,
            "complete": self.complete,
            "stop_reason": self.stop_reason,
            "counts": {
                "bytes": self.bytes_read,
                "rows": self.rows,
                "accepted_rows": self.accepted_rows,
                "rejected_rows": self.rejected_rows,
                "problems": self.problem_total,
                "problems_by_kind": dict(sorted(self.problem_counts.items())),
            },
            "problems": [problem.to_dict() for problem in self.problems],
            "problems_listed": len(self.problems),
            "duplicate_check": {
                "rows_checked": self.duplicates_checked_rows,
                "located": self.duplicates_located,
            },
            "limits": dict(self.limits),
        }
