"""Stream a CSV file through the data contract and produce a validation report.

Pure logic, standard library only (it runs in the Lambda and on a laptop). The file arrives as
an iterable of byte chunks (a botocore ``StreamingBody.iter_chunks()``, or ``iter_path``), so
memory holds a few chunks and one partial line, plus 8-byte row hashes for the duplicate check.
Measured (``tools.bench_validator``): ~80 MB/s, 30 MB peak for a 100 MB file, 99 MB for 1 GB.

Fast path: runs of valid lines are checked by one compiled regular expression per chunk (see
``patterns``); only lines it rejects go through the detailed checks in ``explain``.

Decisions, so that the Lambda and ``tools.validate_file`` give the same verdict:
- Encoding is UTF-8. A UTF-8 byte order mark is refused: curated files are byte-for-byte copies
  and plain CSV readers would see it as part of the first column name.
- Line endings LF or CRLF; the last line may lack one. Blank lines are refused (empty rows).
- Integers may be zero-padded as ``Column.accepts`` allows ("05"), up to ``MAX_LEADING_ZEROS``.
- A line longer than ``MAX_LINE_BYTES`` is refused without being buffered.
- Reading stops at ``max_bytes`` or ``max_rows`` or after ``max_rejected_lines`` bad lines (the
  report then says ``complete: false``; the verdict is already "rejected").
- Duplicate rows (after removing quotes, so ``"GP"`` equals ``GP``) are refused, over the whole
  file, in ~9 bytes a row (see ``duplicates``). When some rows may repeat, the file is read a
  second time (``reread``) to locate them and compare their bytes. Without ``reread`` the
  report counts them by hash alone (a false alarm needs two different rows with the same 64-bit
  hash: probability ~n^2/2^65, 3e-8 for a million rows) and cannot give their lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from contract import Contract, load_contract

from .duplicates import DuplicateFinder, DuplicateLocator
from .explain import MAX_LINE_BYTES, UTF8_BOM, UTF16_BOMS, explain_line, header_problems
from .patterns import CompiledContract, compile_contract
from .report import Problem, ProblemKind, ValidationReport

MIB = 1024 * 1024
CHUNK_BYTES = MIB


@dataclass(frozen=True)
class ValidationLimits:
    """Limits of one validation run; every field must be a positive integer."""

    max_bytes: int = 512 * MIB
    min_rows: int = 1
    max_rows: int = 1_000_000
    max_problems_listed: int = 100  # problems detailed in the report (all are counted)
    max_rejected_lines: int = 10_000  # reading stops after this many bad lines

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"limit {name} must be a positive integer, got {value!r}")
        if self.min_rows > self.max_rows:
            raise ValueError(f"min_rows ({self.min_rows}) exceeds max_rows ({self.max_rows})")

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@lru_cache(maxsize=4)
def compiled_contract(contract: Contract) -> CompiledContract:
    return compile_contract(contract)


class _StreamValidator:
    """Feed chunks in file order, then call ``finish``; ``stopped`` says reading may end."""

    def __init__(
        self,
        compiled: CompiledContract,
        limits: ValidationLimits,
        locator: DuplicateLocator | None = None,
    ) -> None:
        contract = compiled.contract
        self._compiled = compiled
        self._contract = contract
        self._limits = limits
        self.report = ValidationReport(
            contract_name=contract.name,
            contract_version=contract.version,
            limits=limits.as_dict(),
            max_problems_listed=limits.max_problems_listed,
        )
        self._pending = b""  # the start of a line whose end has not arrived yet
        self._lines = 0  # complete lines consumed so far, header included
        self._header_done = False
        self._skipping_long_line = False
        self._duplicates = DuplicateFinder()
        # Second read only: find the rows whose hash repeats, and nothing else.
        self._locator = locator
        self.repeated_keys: set[int] = set()
        self.stopped = False

    # -- reading -------------------------------------------------------------------------------

    def feed(self, chunk: bytes) -> None:
        if self.stopped or not chunk:
            return
        report = self.report
        report.bytes_read += len(chunk)
        if report.bytes_read > self._limits.max_bytes:
            self.stop(
                Problem(
                    ProblemKind.FILE_TOO_LARGE,
                    f"file is larger than the limit of {self._limits.max_bytes} bytes",
                ),
                "file too large",
            )
            return
        if self._skipping_long_line:
            newline = chunk.find(b"\n")
            if newline < 0:
                return
            self._skipping_long_line = False
            chunk = chunk[newline + 1 :]
        buffer = self._pending + chunk if self._pending else chunk
        last_newline = buffer.rfind(b"\n")
        if last_newline >= 0:
            self._pending = b""
            self._check_lines(buffer, 0, last_newline + 1)
            if self.stopped:
                return
            self._pending = buffer[last_newline + 1 :]
        else:
            self._pending = buffer
        if len(self._pending) > MAX_LINE_BYTES:
            self._refuse_long_line()

    def finish(self) -> ValidationReport:
        report = self.report
        if not self.stopped and self._pending and not self._skipping_long_line:
            last_line, self._pending = self._pending + b"\n", b""  # the last line lacks its LF
            self._check_lines(last_line, 0, len(last_line))
        if self.stopped:
            return report
        if report.bytes_read == 0:
            report.add(Problem(ProblemKind.EMPTY_FILE, "the file is empty"))
        elif report.rows < self._limits.min_rows:
            report.add(
                Problem(
                    ProblemKind.TOO_FEW_ROWS,
                    f"{report.rows} data rows; at least {self._limits.min_rows} required",
                )
            )
        if self._locator is None:
            report.duplicates_checked_rows = self._duplicates.rows
            self.repeated_keys, report.duplicates_suspected = self._duplicates.repeated_keys()
        return report

    # -- checking ------------------------------------------------------------------------------

    def _check_lines(self, buffer: bytes, start: int, end: int) -> None:
        """Check the complete lines in buffer[start:end] (end is just after a LF)."""
        position = start
        if not self._header_done:
            newline = buffer.index(b"\n", position)
            self._check_header(buffer[position:newline])
            position = newline + 1
            if self.stopped:
                return
        compiled = self._compiled
        quoted = buffer.find(compiled.quotechar, position, end) >= 0
        match_rows = (compiled.rows if quoted else compiled.bare_rows).match
        while position < end:
            valid_end = match_rows(buffer, position, end).end()
            if valid_end > position:
                self._accept_run(buffer[position:valid_end])
            if valid_end >= end or self.stopped:
                return
            newline = buffer.index(b"\n", valid_end, end)
            self._reject_line(buffer[valid_end:newline])
            if self.stopped:
                return
            position = newline + 1

    def _check_header(self, line: bytes) -> None:
        self._header_done = True
        self._lines = 1
        if line.startswith(UTF16_BOMS):
            self.stop(
                Problem(
                    ProblemKind.ENCODING,
                    "the file is UTF-16 (byte order mark); the contract requires UTF-8",
                    line=1,
                ),
                "not UTF-8",
            )
            return
        if line.startswith(UTF8_BOM):
            self.report.add(
                Problem(
                    ProblemKind.ENCODING,
                    "the file starts with a UTF-8 byte order mark; save it as UTF-8 without BOM",
                    line=1,
                )
            )
            line = line[len(UTF8_BOM) :]
        problems = header_problems(line, self._contract)
        if problems:
            for problem in problems:
                self.report.add(problem)
            self.stop(None, "the header does not match the contract; rows were not checked")

    def _accept_run(self, run: bytes) -> None:
        """Count a run of lines the compiled pattern accepted; remember them for duplicates."""
        first_line = self._lines + 1
        if self._compiled.quotechar in run or b"\r" in run:
            # Valid rows hold quotes only around whole values and CR only before LF.
            run = run.translate(None, self._compiled.quotechar + b"\r")
        rows = run.split(b"\n")
        rows.pop()  # the empty piece after the final LF
        count = len(rows)
        self._lines += count
        self.report.rows += count
        keys = list(map(hash, rows))
        if self._locator is None:
            self._duplicates.add(keys)
        else:
            for offset in self._locator.repeats(keys, rows):
                self.report.rejected_rows += 1
                self.report.add(
                    Problem(
                        ProblemKind.DUPLICATE_ROW,
                        "repeats an earlier row",
                        line=first_line + offset,
                    )
                )
        self._check_row_limit()

    def _reject_line(self, line: bytes) -> None:
        self._lines += 1
        self.report.rows += 1
        self.report.rejected_rows += 1
        if self._locator is not None:
            return  # already explained by the first read
        for problem in explain_line(line, self._lines, self._contract):
            self.report.add(problem)
        self._check_rejected_limit()
        self._check_row_limit()

    def _refuse_long_line(self) -> None:
        self._pending = b""
        self._skipping_long_line = True
        self._lines += 1
        problem = Problem(
            ProblemKind.LINE_TOO_LONG,
            f"line is longer than {MAX_LINE_BYTES} bytes",
            line=self._lines,
        )
        if not self._header_done:
            self._header_done = True
            self.stop(problem, "the header line is too long")
            return
        self.report.rows += 1
        self.report.rejected_rows += 1
        self.report.add(problem)
        self._check_rejected_limit()
        self._check_row_limit()

    def _check_row_limit(self) -> None:
        if not self.stopped and self.report.rows > self._limits.max_rows:
            self.stop(
                Problem(
                    ProblemKind.TOO_MANY_ROWS,
                    f"more than {self._limits.max_rows} data rows",
                ),
                "too many rows",
            )

    def _check_rejected_limit(self) -> None:
        if self._locator is not None:
            return  # the first read did not stop: neither may the second
        if not self.stopped and self.report.rejected_rows >= self._limits.max_rejected_lines:
            self.stop(None, f"{self.report.rejected_rows} rejected lines; reading stopped")

    def stop(self, problem: Problem | None, reason: str) -> None:
        if problem is not None:
            self.report.add(problem)
        self.stopped = True
        self.report.complete = False
        self.report.stop_reason = reason
        self.report.duplicates_checked_rows = self._duplicates.rows


def validate_chunks(
    chunks: Iterable[bytes],
    *,
    contract: Contract | None = None,
    limits: ValidationLimits | None = None,
    declared_size: int | None = None,
    reread: Callable[[], Iterable[bytes]] | None = None,
) -> ValidationReport:
    """Validate a file given as byte chunks in order; stops reading once the verdict is sure.

    ``declared_size`` (e.g. the S3 object size) lets an oversized file be refused unread.
    ``reread`` gives the same bytes again; it is called only if some rows may be duplicates,
    to locate them (see the module notes).
    """
    limits = limits or ValidationLimits()
    compiled = compiled_contract(contract or load_contract())
    validator = _StreamValidator(compiled, limits)
    if declared_size is not None and declared_size > limits.max_bytes:
        validator.stop(
            Problem(
                ProblemKind.FILE_TOO_LARGE,
                f"file is {declared_size} bytes; the limit is {limits.max_bytes}",
            ),
            "file too large (not read)",
        )
        return validator.report
    _feed_all(validator, chunks)
    report = validator.finish()
    if validator.repeated_keys:
        if reread is None:
            report.add_unlocated_duplicates(report.duplicates_suspected)
        else:
            locator = _StreamValidator(compiled, limits, DuplicateLocator(validator.repeated_keys))
            _feed_all(locator, reread())
            report.merge_duplicates(locator.finish())
    return report


def _feed_all(validator: _StreamValidator, chunks: Iterable[bytes]) -> None:
    for chunk in chunks:
        validator.feed(chunk)
        if validator.stopped:
            break


def validate_bytes(data: bytes, **options) -> ValidationReport:
    """Validate a file held in memory (tests and small files)."""
    return validate_chunks([data], reread=lambda: [data], **options)


def iter_path(path: str | Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The chunks of a local file (opened on first use, closed at the end)."""
    with open(path, "rb") as handle:
        yield from iter_file(handle, chunk_bytes)


def iter_file(handle: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    while chunk := handle.read(chunk_bytes):
        yield chunk
