"""The slow path: say which field of a rejected line is wrong, and why.

Only lines the compiled row pattern rejected come here, so this code favours clear messages
over speed. Acceptance is never decided here: a line the pattern rejected stays rejected even if
nothing below can name the reason (it is then reported as ``unexplained``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contract import INTEGER, Column, Contract

from .patterns import MAX_LEADING_ZEROS
from .report import Problem, ProblemKind, excerpt

# A cell starting with one of these may be run as a formula when opened in a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Lines are read whole; a longer line is refused without being buffered (memory stays flat).
MAX_LINE_BYTES = 64 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
OTHER_DELIMITERS = (b",", b"\t", b"|")


@dataclass(frozen=True)
class SplitLine:
    fields: list[bytes]  # values with their quotes removed
    quoting_error: str | None  # first quoting mistake, if any
    quoting_error_field: int | None  # 0-based index of the field with that mistake


def split_fields(line: bytes, delimiter: bytes, quotechar: bytes) -> SplitLine:
    """Split one line (no line ending) into fields, as a strict CSV reader would."""
    fields: list[bytes] = []
    error: str | None = None
    error_field: int | None = None
    position, size = 0, len(line)
    while True:
        if not line.startswith(quotechar, position):
            next_delimiter = line.find(delimiter, position)
            if next_delimiter < 0:
                fields.append(line[position:])
                break
            fields.append(line[position:next_delimiter])
            position = next_delimiter + len(delimiter)
            continue
        value = bytearray()
        cursor = position + len(quotechar)
        while True:
            closing = line.find(quotechar, cursor)
            if closing < 0:
                value += line[cursor:]
                if error is None:
                    error, error_field = "quoted value is never closed", len(fields)
                position = size
                break
            value += line[cursor:closing]
            after = closing + len(quotechar)
            if line.startswith(quotechar, after):  # "" inside quotes is one literal quote
                value += quotechar
                cursor = after + len(quotechar)
                continue
            position = after
            break
        if position < size and not line.startswith(delimiter, position):
            if error is None:
                error, error_field = "text follows the closing quote", len(fields)
            next_delimiter = line.find(delimiter, position)
            stop = size if next_delimiter < 0 else next_delimiter
            value += line[position:stop]
            position = stop
        fields.append(bytes(value))
        if position >= size:
            break
        position += len(delimiter)
    return SplitLine(fields, error, error_field)


def _decode(raw: bytes) -> tuple[str | None, str | None]:
    """(text, None) or (None, reason) when the bytes are not UTF-8."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return None, f"byte {error.start + 1} is not valid UTF-8"


def field_problem(column: Column, raw: bytes, line: int) -> Problem | None:
    """The problem with one unquoted field value, or None if the contract accepts it."""

    def problem(kind: ProblemKind, reason: str) -> Problem:
        return Problem(kind, reason, line=line, column=column.name, value=excerpt(raw))

    if raw == b"":
        return problem(ProblemKind.MISSING_VALUE, "empty value; a value is required")
    text, decode_error = _decode(raw)
    if text is None:
        return problem(ProblemKind.ENCODING, decode_error or "not valid UTF-8")
    if column.kind == INTEGER:
        return _integer_problem(column, text, problem)
    if column.accepts(text):
        return None
    if text.startswith(FORMULA_PREFIXES):
        return problem(ProblemKind.FORMULA_INJECTION, "starts like a spreadsheet formula")
    allowed = ", ".join(column.allowed)
    hint = ""
    if text.strip() in column.allowed:
        hint = " (remove the surrounding spaces)"
    else:
        same_letters = [value for value in column.allowed if value.lower() == text.lower()]
        if same_letters:
            hint = f" (letter case differs from {same_letters[0]!r})"
    return problem(ProblemKind.NOT_ALLOWED, f"not one of the allowed values: {allowed}{hint}")


def _integer_problem(
    column: Column, text: str, problem: Callable[[ProblemKind, str], Problem]
) -> Problem | None:
    bounds = f"{column.minimum}..{column.maximum}"
    if text.isascii() and text.isdigit():
        significant = text.lstrip("0") or "0"
        if len(text) - len(significant) > MAX_LEADING_ZEROS:
            return problem(ProblemKind.NOT_INTEGER, f"more than {MAX_LEADING_ZEROS} leading zeros")
        if column.accepts(text):
            return None
        return problem(ProblemKind.OUT_OF_RANGE, f"outside the allowed range {bounds}")
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
        return problem(ProblemKind.OUT_OF_RANGE, f"negative; the allowed range is {bounds}")
    if text.startswith(FORMULA_PREFIXES):
        return problem(ProblemKind.FORMULA_INJECTION, "starts like a spreadsheet formula")
    return problem(ProblemKind.NOT_INTEGER, f"not a whole number; expected {bounds}")


def explain_line(line: bytes, line_number: int, contract: Contract) -> list[Problem]:
    """Every problem of one data line (without its LF; a trailing CR is the CRLF ending)."""
    if line.endswith(b"\r"):
        line = line[:-1]
    if len(line) > MAX_LINE_BYTES:
        return [
            Problem(
                ProblemKind.LINE_TOO_LONG,
                f"line is longer than {MAX_LINE_BYTES} bytes",
                line=line_number,
            )
        ]
    if not line.strip():
        return [Problem(ProblemKind.BLANK_LINE, "blank line (an empty row)", line=line_number)]
    delimiter = contract.delimiter.encode()
    split = split_fields(line, delimiter, contract.quotechar.encode())
    problems: list[Problem] = []
    if split.quoting_error is not None:
        index = split.quoting_error_field
        column = (
            contract.columns[index].name
            if index is not None and index < len(contract.columns)
            else None
        )
        problems.append(
            Problem(ProblemKind.QUOTING, split.quoting_error, line=line_number, column=column)
        )
    expected = len(contract.columns)
    if len(split.fields) != expected:
        problems.append(
            Problem(
                ProblemKind.FIELD_COUNT,
                _field_count_reason(line, len(split.fields), expected, contract.delimiter),
                line=line_number,
            )
        )
        return problems
    for index, (column, raw) in enumerate(zip(contract.columns, split.fields, strict=True)):
        if index == split.quoting_error_field:
            continue  # already reported as a quoting problem
        found = field_problem(column, raw, line_number)
        if found is not None:
            problems.append(found)
    if not problems:
        problems.append(
            Problem(
                ProblemKind.UNEXPLAINED,
                "the row does not match the contract (no single field could be blamed)",
                line=line_number,
            )
        )
    return problems


def _field_count_reason(line: bytes, found: int, expected: int, delimiter: str) -> str:
    reason = f"expected {expected} fields separated by {delimiter!r}, found {found}"
    if found > expected:
        reason += f" ({found - expected} extra after the last column)"
    for other in OTHER_DELIMITERS:
        if found == 1 and line.count(other) == expected - 1:
            reason += f"; the line looks {other.decode()!r}-separated"
    return reason


def header_problems(line: bytes, contract: Contract) -> list[Problem]:
    """Problems of the header line (BOM already removed; trailing CR allowed)."""
    if line.endswith(b"\r"):
        line = line[:-1]
    text, decode_error = _decode(line)
    if text is None:
        return [Problem(ProblemKind.ENCODING, f"header: {decode_error}", line=1)]
    split = split_fields(line, contract.delimiter.encode(), contract.quotechar.encode())
    names = [field.decode("utf-8") for field in split.fields]
    expected = list(contract.column_names)
    problems: list[Problem] = []
    if split.quoting_error is not None:
        problems.append(Problem(ProblemKind.QUOTING, f"header: {split.quoting_error}", line=1))
    if names == expected:
        return problems
    if len(names) == 1:
        for other in OTHER_DELIMITERS:
            if line.count(other) == len(expected) - 1:
                problems.append(
                    Problem(
                        ProblemKind.DELIMITER,
                        f"fields are separated by {other.decode()!r}; the contract requires "
                        f"{contract.delimiter!r}",
                        line=1,
                    )
                )
                return problems
    problems.append(Problem(ProblemKind.HEADER, _header_reason(names, expected), line=1))
    return problems


def _header_reason(names: list[str], expected: list[str]) -> str:
    missing = [name for name in expected if name not in names]
    unexpected = [name for name in names if name not in expected]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    parts = []
    if missing:
        parts.append("missing columns: " + ", ".join(missing))
    if unexpected:
        parts.append("unexpected columns: " + ", ".join(excerpt(name) for name in unexpected))
    if duplicated:
        parts.append("repeated columns: " + ", ".join(duplicated))
    if not parts:
        position = next(i for i, (a, b) in enumerate(zip(names, expected, strict=True)) if a != b)
        parts.append(
            f"columns are out of order: column {position + 1} is {names[position]!r}, "
            f"expected {expected[position]!r}"
        )
    return "header does not match the contract: " + "; ".join(parts)
