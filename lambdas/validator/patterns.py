"""Compile the data contract into byte regular expressions (the validator's fast path).

One pattern describes a whole valid row, built from the contract's columns (never written by
hand per column): integer ranges become digit-class alternations, categories become literal
alternations, and every field may be bare or wrapped in the contract's quote character (the
UCI files quote strings and even some numbers). A second pattern repeats the row pattern over
many lines, so one ``match`` call checks a whole chunk of the file in C.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from contract import CATEGORY, Column, Contract

# Column.accepts takes int(value), so "05" is within the contract. Padding is capped so that a
# valid row stays short (well under explain.MAX_LINE_BYTES); longer padding is refused.
MAX_LEADING_ZEROS = 16


def integer_range_pattern(minimum: int, maximum: int) -> str:
    """A regex alternation matching exactly the decimal numbers minimum..maximum.

    No leading zeros and no anchors: callers add those. E.g. 0..93 gives
    ``[0-9]|1[0-9]|[2-8][0-9]|9[0-3]``.
    """
    if minimum < 0 or minimum > maximum:
        raise ValueError(f"need 0 <= minimum <= maximum, got {minimum}..{maximum}")
    branches: list[str] = []
    low = minimum
    while low <= maximum:
        # Split the range by number of digits: each piece has a fixed width.
        width = len(str(low))
        high = min(maximum, 10**width - 1)
        branches.extend(_same_width_branches(str(low), str(high)))
        low = high + 1
    return "|".join(branches)


def _same_width_branches(low: str, high: str) -> list[str]:
    """Branches matching low..high, two decimal strings of the same width."""
    if low == high:
        return [low]
    if len(low) == 1:
        return [f"[{low}-{high}]"]
    rest = len(low) - 1
    if low[1:] == "0" * rest and high[1:] == "9" * rest:
        return [_digit_class(low[0], high[0]) + "[0-9]" * rest]
    if low[0] == high[0]:
        inner = _same_width_branches(low[1:], high[1:])
        return [low[0] + (inner[0] if len(inner) == 1 else f"(?:{'|'.join(inner)})")]
    branches = [low[0] + _group(_same_width_branches(low[1:], "9" * rest))]
    if int(high[0]) - int(low[0]) >= 2:
        branches.append(_digit_class(str(int(low[0]) + 1), str(int(high[0]) - 1)) + "[0-9]" * rest)
    branches.append(high[0] + _group(_same_width_branches("0" * rest, high[1:])))
    return branches


def _digit_class(low: str, high: str) -> str:
    return low if low == high else f"[{low}-{high}]"


def _group(branches: list[str]) -> str:
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


def value_pattern(column: Column) -> str:
    """Regex (str) of one unquoted value the column accepts, as ``Column.accepts`` does."""
    if column.kind == CATEGORY:
        if all(len(value) == 1 for value in column.allowed):
            return "[" + "".join(re.escape(value) for value in column.allowed) + "]"
        # Longest first, so that no value is shadowed by a shorter one sharing its prefix.
        ordered = sorted(column.allowed, key=len, reverse=True)
        return "(?:" + "|".join(re.escape(value) for value in ordered) + ")"
    assert column.minimum is not None and column.maximum is not None
    numbers = integer_range_pattern(column.minimum, column.maximum)
    grouped = f"(?:{numbers})" if "|" in numbers else numbers
    # Unpadded numbers first: the common case then needs no repeat operator.
    return f"(?:{numbers}|0{{1,{MAX_LEADING_ZEROS}}}{grouped})"


def field_pattern(column: Column, quotechar: str | None) -> str:
    """One field: the value, bare or (if quotechar is given) also wrapped in quotes."""
    value = value_pattern(column)
    if quotechar is None:
        return value
    quote = re.escape(quotechar)
    # Quoted first: measured faster on UCI-style files, and as fast on bare ones.
    return f"(?:{quote}{value}{quote}|{value})"


def row_pattern_source(contract: Contract, *, quoted: bool = True) -> str:
    delimiter = re.escape(contract.delimiter)
    quotechar = contract.quotechar if quoted else None
    return delimiter.join(field_pattern(column, quotechar) for column in contract.columns)


@dataclass(frozen=True)
class CompiledContract:
    """The contract plus its compiled patterns; build once per process with ``compile_contract``.

    ``rows`` matches a run of valid rows, each ending in LF or CRLF (use with ``match``: the
    match ends where the first invalid line starts). ``bare_rows`` is the same for chunks without
    a single quote character, a simpler and faster pattern.
    """

    contract: Contract
    rows: re.Pattern[bytes]
    bare_rows: re.Pattern[bytes]
    delimiter: bytes
    quotechar: bytes


def _rows(source: str) -> re.Pattern[bytes]:
    # Possessive repeat: on the first bad line the match simply stops there, no backtracking.
    return re.compile(b"(?:" + source.encode("utf-8") + rb"\r?\n)*+")


def compile_contract(contract: Contract) -> CompiledContract:
    for column in contract.columns:
        for value in column.allowed:
            if contract.delimiter in value or contract.quotechar in value or "\n" in value:
                # The line-based fast path relies on values never containing these.
                raise ValueError(f"column {column.name}: allowed value {value!r} is not plain")
    return CompiledContract(
        contract=contract,
        rows=_rows(row_pattern_source(contract)),
        bare_rows=_rows(row_pattern_source(contract, quoted=False)),
        delimiter=contract.delimiter.encode("utf-8"),
        quotechar=contract.quotechar.encode("utf-8"),
    )
