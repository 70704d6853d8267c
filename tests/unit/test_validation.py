"""The streaming validator: compiled patterns, every kind of problem, limits and the report."""

from __future__ import annotations

import json
import re
import tracemalloc

import pytest

from contract import CATEGORY, INTEGER, load_contract
from tools.sample_data import DefectSpec, iter_csv_text, render_csv
from validator import validation
from validator.explain import MAX_LINE_BYTES, split_fields
from validator.patterns import MAX_LEADING_ZEROS, compile_contract, integer_range_pattern
from validator.report import ProblemKind
from validator.validation import ValidationLimits, validate_bytes, validate_chunks

CONTRACT = load_contract()
HEADER = ";".join(CONTRACT.column_names)


def validate(text: str | bytes, **limits: int):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return validate_bytes(data, limits=ValidationLimits(**limits))


def kinds(report) -> set[str]:
    return set(report.problem_counts)


def valid_rows(count: int, seed: int = 1, quoting: str = "minimal") -> list[str]:
    return render_csv(count, seed, quoting=quoting).text.splitlines()[1:]


# -- compiled patterns ---------------------------------------------------------------------


def test_integer_range_pattern_matches_exactly_the_range() -> None:
    for low in range(0, 45):
        for high in range(low, 130, 7):
            pattern = re.compile(integer_range_pattern(low, high))
            matched = {n for n in range(0, 1100) if pattern.fullmatch(str(n))}
            assert matched == set(range(low, high + 1)), (low, high)


def test_integer_range_pattern_refuses_an_empty_or_negative_range() -> None:
    with pytest.raises(ValueError, match="minimum"):
        integer_range_pattern(5, 4)
    with pytest.raises(ValueError, match="minimum"):
        integer_range_pattern(-1, 4)


def _candidate_values(column) -> list[str]:
    """Every short value worth trying in one column: far more than a random test would."""
    printable = [chr(code) for code in range(32, 127)]
    numbers = [str(n) for n in range(-2, 130)]
    padded = [
        "0" * zeros + str(n)
        for zeros in (1, 2, MAX_LEADING_ZEROS, MAX_LEADING_ZEROS + 1)
        for n in (0, 5, 20)
    ]
    words = [
        variant
        for other in CONTRACT.columns
        for value in other.allowed
        for variant in (value, value.lower(), value.upper(), f" {value}", f"{value} ", f"={value}")
    ]
    return sorted(set(printable + numbers + padded + words + ["", "\t", "1.0", "\u00e9"]))


@pytest.mark.parametrize("column", CONTRACT.columns, ids=lambda column: column.name)
def test_each_column_accepts_exactly_what_the_contract_accepts(column) -> None:
    base = valid_rows(1)[0].split(";")
    position = CONTRACT.column_names.index(column.name)
    wrong = []
    for value in _candidate_values(column):
        for field in (value, f'"{value}"'):
            fields = list(base)
            fields[position] = field
            report = validate(HEADER + "\n" + ";".join(fields) + "\n")
            expected = column.accepts(value) and (
                column.kind != INTEGER
                or len(value) - len(value.lstrip("0") or "0") <= MAX_LEADING_ZEROS
            )
            if report.accepted != expected:
                wrong.append((field, report.accepted))
    assert not wrong


def test_allowed_values_with_a_delimiter_or_quote_cannot_be_compiled() -> None:
    from dataclasses import replace

    broken = replace(
        CONTRACT,
        columns=(replace(CONTRACT.columns[0], allowed=("G;P", "MS")), *CONTRACT.columns[1:]),
    )
    with pytest.raises(ValueError, match="not plain"):
        compile_contract(broken)


# -- clean files ---------------------------------------------------------------------------


@pytest.mark.parametrize("quoting", ["minimal", "uci"])
@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_clean_sample_files_are_accepted(quoting: str, ending: str) -> None:
    text = render_csv(300, seed=4, quoting=quoting).text.replace("\n", ending)
    report = validate(text)
    assert report.accepted, report.to_dict()["problems"]
    assert (report.rows, report.accepted_rows, report.rejected_rows) == (300, 300, 0)
    assert report.bytes_read == len(text.encode())


def test_a_missing_final_line_ending_is_fine() -> None:
    text = render_csv(5, seed=2).text.rstrip("\n")
    assert validate(text).accepted


def test_quoted_header_names_are_accepted() -> None:
    header = ";".join(f'"{name}"' for name in CONTRACT.column_names)
    assert validate(header + "\n" + "\n".join(valid_rows(3)) + "\n").accepted


# -- every kind of defect, as the sample data generator injects them -----------------------

DEFECT_KINDS = {
    "missing": ProblemKind.MISSING_VALUE,
    "out_of_range": ProblemKind.OUT_OF_RANGE,
    "unknown_category": ProblemKind.NOT_ALLOWED,
    "non_integer": ProblemKind.NOT_INTEGER,
    "formula": ProblemKind.FORMULA_INJECTION,
    "duplicate": ProblemKind.DUPLICATE_ROW,
}


@pytest.mark.parametrize("quoting", ["minimal", "uci"])
@pytest.mark.parametrize("defect", sorted(DEFECT_KINDS))
def test_each_injected_row_defect_is_found_where_it_is(defect: str, quoting: str) -> None:
    rendered = render_csv(400, seed=11, defects=[DefectSpec(defect, 3)], quoting=quoting)
    report = validate(rendered.text)
    assert not report.accepted
    assert kinds(report) == {DEFECT_KINDS[defect].value}
    found = {(problem.line, problem.column) for problem in report.problems}
    expected = {(injected.line, injected.column) for injected in rendered.defects}
    assert found == expected
    assert report.rejected_rows == 3
    assert report.accepted_rows == 397


def test_wrong_column_order_is_a_header_problem_and_stops_reading() -> None:
    rendered = render_csv(50, seed=3, defects=[DefectSpec("wrong_column_order")])
    report = validate(rendered.text)
    assert kinds(report) == {ProblemKind.HEADER.value}
    assert "out of order" in report.problems[0].reason
    assert not report.complete


def test_wrong_delimiter_is_named() -> None:
    rendered = render_csv(50, seed=3, defects=[DefectSpec("wrong_delimiter")])
    report = validate(rendered.text)
    assert kinds(report) == {ProblemKind.DELIMITER.value}
    assert "','" in report.problems[0].reason


def test_a_missing_column_is_named() -> None:
    header = HEADER.replace(";G3", "")
    report = validate(header + "\n")
    assert report.problems[0].kind == ProblemKind.HEADER
    assert "missing columns: G3" in report.problems[0].reason


def test_a_utf8_byte_order_mark_is_refused_but_rows_are_still_checked() -> None:
    rows = valid_rows(3)
    rows[1] = rows[1].replace("yes", "maybe", 1)
    report = validate("\ufeff" + HEADER + "\n" + "\n".join(rows) + "\n")
    assert kinds(report) == {ProblemKind.ENCODING.value, ProblemKind.NOT_ALLOWED.value}
    assert report.problems[0].line == 1
    assert report.problems[1].line == 3


def test_utf16_is_refused_at_once() -> None:
    report = validate((HEADER + "\n").encode("utf-16"))
    assert kinds(report) == {ProblemKind.ENCODING.value}
    assert "UTF-16" in report.problems[0].reason


def test_invalid_utf8_in_a_field_is_an_encoding_problem_in_that_column() -> None:
    fields = valid_rows(1)[0].split(";")
    fields[CONTRACT.column_names.index("Mjob")] = "teach\xe9r"
    data = (HEADER + "\n" + ";".join(fields) + "\n").encode("latin-1")
    report = validate(data)
    assert [(p.kind, p.column, p.line) for p in report.problems] == [
        (ProblemKind.ENCODING, "Mjob", 2)
    ]


@pytest.mark.parametrize(
    ("line", "kind", "reason"),
    [
        ("", ProblemKind.BLANK_LINE, "blank line"),
        ("GP;F;18", ProblemKind.FIELD_COUNT, "expected 33 fields separated by ';', found 3"),
        (None, ProblemKind.FIELD_COUNT, "1 extra after the last column"),
        ('"GP;F', ProblemKind.QUOTING, "never closed"),
    ],
)
def test_broken_lines_are_explained(line: str | None, kind: ProblemKind, reason: str) -> None:
    if line is None:
        line = valid_rows(1)[0] + ";trailing"
    report = validate(HEADER + "\n" + valid_rows(1)[0] + "\n" + line + "\n")
    assert report.problems[0].kind == kind
    assert reason in report.problems[0].reason
    assert report.problems[0].line == 3


def test_a_comma_separated_row_is_recognised() -> None:
    row = valid_rows(1)[0].replace(";", ",")
    report = validate(HEADER + "\n" + row + "\n")
    assert "looks ','-separated" in report.problems[0].reason


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("age", "-3", ProblemKind.OUT_OF_RANGE),
        ("age", "23", ProblemKind.OUT_OF_RANGE),
        ("age", "+18", ProblemKind.FORMULA_INJECTION),
        ("age", "18.0", ProblemKind.NOT_INTEGER),
        ("age", "0" * (MAX_LEADING_ZEROS + 1) + "18", ProblemKind.NOT_INTEGER),
        ("school", "=GP", ProblemKind.FORMULA_INJECTION),
        ("school", "\tGP", ProblemKind.FORMULA_INJECTION),
        ("school", "@GP", ProblemKind.FORMULA_INJECTION),
        ("school", "GP ", ProblemKind.NOT_ALLOWED),
        ("school", '""', ProblemKind.MISSING_VALUE),
    ],
)
def test_field_problems_name_the_column(column: str, value: str, kind: ProblemKind) -> None:
    fields = valid_rows(1)[0].split(";")
    fields[CONTRACT.column_names.index(column)] = value
    report = validate(HEADER + "\n" + ";".join(fields) + "\n")
    assert [(p.kind, p.column, p.line) for p in report.problems] == [(kind, column, 2)]


def test_hints_for_near_miss_categories() -> None:
    fields = valid_rows(1)[0].split(";")
    fields[0] = "gp"
    fields[1] = " F"
    reasons = [p.reason for p in validate(HEADER + "\n" + ";".join(fields) + "\n").problems]
    assert "letter case differs from 'GP'" in reasons[0]
    assert "remove the surrounding spaces" in reasons[1]


def test_duplicates_ignore_quoting() -> None:
    bare = valid_rows(1)[0]
    fields = bare.split(";")
    quoted = ";".join(f'"{field}"' for field in fields)
    report = validate(HEADER + "\n" + bare + "\n" + quoted + "\r\n")
    assert [(p.kind, p.line) for p in report.problems] == [(ProblemKind.DUPLICATE_ROW, 3)]


def test_split_fields_reads_quotes_like_a_strict_csv_reader() -> None:
    split = split_fields(b'a;"b;c";"d""e";', b";", b'"')
    assert split.fields == [b"a", b"b;c", b'd"e', b""]
    assert split.quoting_error is None
    assert split_fields(b'"a"x;b', b";", b'"').quoting_error == "text follows the closing quote"


# -- limits --------------------------------------------------------------------------------


def test_the_empty_file_is_refused() -> None:
    assert kinds(validate(b"")) == {ProblemKind.EMPTY_FILE.value}


def test_row_count_limits() -> None:
    text = render_csv(10, seed=1).text
    assert kinds(validate(text, min_rows=11)) == {ProblemKind.TOO_FEW_ROWS.value}
    too_many = validate(text, max_rows=9)
    assert kinds(too_many) == {ProblemKind.TOO_MANY_ROWS.value}
    assert not too_many.complete
    assert validate(text, min_rows=10, max_rows=10).accepted


def test_a_file_larger_than_the_limit_is_refused_unread_or_while_reading() -> None:
    text = render_csv(100, seed=1).text.encode()
    unread = validate_chunks(
        iter([]), limits=ValidationLimits(max_bytes=100), declared_size=len(text)
    )
    assert kinds(unread) == {ProblemKind.FILE_TOO_LARGE.value}
    assert unread.bytes_read == 0
    pieces = [text[i : i + 64] for i in range(0, len(text), 64)]
    streamed = validate_chunks(iter(pieces), limits=ValidationLimits(max_bytes=1000))
    assert kinds(streamed) == {ProblemKind.FILE_TOO_LARGE.value}
    assert streamed.bytes_read <= 1064  # stopped within one chunk of the limit


def test_a_line_longer_than_the_limit_is_refused_without_buffering_it() -> None:
    huge = b"x" * (MAX_LINE_BYTES * 3)
    chunks = [HEADER.encode() + b"\n" + valid_rows(1)[0].encode() + b"\n", huge[:100_000]]
    chunks += [huge[100_000:], b"\n" + valid_rows(2, seed=9)[1].encode() + b"\n"]
    report = validate_chunks(iter(chunks))
    assert [(p.kind, p.line) for p in report.problems] == [(ProblemKind.LINE_TOO_LONG, 3)]
    assert report.rows == 3


def test_reading_stops_after_too_many_rejected_lines() -> None:
    bad_row = valid_rows(1)[0].replace("GP", "XX", 1).replace("MS", "XX", 1)
    text = HEADER + "\n" + "\n".join([bad_row] * 50) + "\n"
    report = validate(text, max_rejected_lines=10, max_problems_listed=4)
    assert not report.complete
    assert report.rejected_rows == 10
    assert len(report.problems) == 4
    assert report.problem_total == 10


def test_duplicates_are_found_across_the_whole_file_and_located() -> None:
    rows = valid_rows(3000, seed=5)
    copies = [*rows, rows[0], rows[2999], rows[10]]
    text = HEADER + "\n" + "\n".join(copies) + "\n"
    pieces = [text.encode()[i : i + 4096] for i in range(0, len(text), 4096)]
    reads = []

    def reread():
        reads.append(1)
        return iter(pieces)

    report = validate_chunks(iter(pieces), reread=reread)
    assert [(p.kind, p.line) for p in report.problems] == [
        (ProblemKind.DUPLICATE_ROW, 3002),
        (ProblemKind.DUPLICATE_ROW, 3003),
        (ProblemKind.DUPLICATE_ROW, 3004),
    ]
    assert (report.rejected_rows, len(reads)) == (3, 1)
    assert report.to_dict()["duplicate_check"] == {"rows_checked": 3003, "located": True}


def test_other_problems_are_not_reported_twice_when_duplicates_are_located() -> None:
    rows = valid_rows(5, seed=5)
    huge = "x" * (MAX_LINE_BYTES + 10)
    text = HEADER + "\n" + "\n".join([rows[0], huge, "GP;F", rows[1], rows[0]]) + "\n"
    report = validate(text, min_rows=50)
    assert [(p.kind, p.line) for p in report.problems] == [
        (ProblemKind.LINE_TOO_LONG, 3),
        (ProblemKind.FIELD_COUNT, 4),
        (ProblemKind.DUPLICATE_ROW, 6),
        (ProblemKind.TOO_FEW_ROWS, None),
    ]
    assert report.problem_total == 4


def test_a_clean_file_is_read_once() -> None:
    data = render_csv(500, seed=5).text.encode()
    report = validate_chunks([data], reread=lambda: pytest.fail("read a second time"))
    assert report.accepted


def test_without_a_second_read_duplicates_are_counted_not_located() -> None:
    rows = valid_rows(20, seed=5)
    text = HEADER + "\n" + "\n".join([*rows, rows[3], rows[4]]) + "\n"
    report = validate_chunks([text.encode()])
    assert report.problem_counts == {"duplicate_row": 2}
    assert report.rejected_rows == 2
    assert [p.line for p in report.problems] == [None]
    assert report.to_dict()["duplicate_check"]["located"] is False


def test_a_hash_collision_is_not_a_duplicate(monkeypatch) -> None:
    rows = valid_rows(20, seed=5)
    # Every row hashes alike: all are suspects, the second read compares their bytes.
    monkeypatch.setattr(validation, "hash", lambda row: 7, raising=False)
    report = validate(HEADER + "\n" + "\n".join([*rows, rows[6]]) + "\n")
    assert [(p.kind, p.line) for p in report.problems] == [(ProblemKind.DUPLICATE_ROW, 22)]


def test_limits_must_be_positive_and_consistent() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        ValidationLimits(max_bytes=0)
    with pytest.raises(ValueError, match="min_rows"):
        ValidationLimits(min_rows=5, max_rows=4)


def _peak_memory_validating(rows: int) -> int:
    data = "".join(iter_csv_text(rows, seed=8)).encode()  # made before tracing starts
    chunk = 1 << 20

    tracemalloc.start()
    report = validate_chunks(
        (data[start : start + chunk] for start in range(0, len(data), chunk)),
    )
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.accepted
    assert report.rows == rows
    return peak


def test_memory_stays_flat_in_the_file_size() -> None:
    small, large = _peak_memory_validating(32_000), _peak_memory_validating(128_000)
    # Four times the data (3 and 13 MB): the same few chunk-sized buffers (~6 MB), plus the
    # duplicate check's 8-byte hash of each row.
    assert large - small < (128_000 - 32_000) * 12
    assert large < 8_000_000


# -- the report ----------------------------------------------------------------------------


def test_the_report_is_json_and_self_consistent() -> None:
    rendered = render_csv(100, seed=2, defects=[DefectSpec("missing", 2), DefectSpec("formula")])
    document = json.loads(json.dumps(validate(rendered.text).to_dict()))
    assert document["verdict"] == "rejected"
    assert document["contract"] == {"name": CONTRACT.name, "version": CONTRACT.version}
    counts = document["counts"]
    assert counts["rows"] == counts["accepted_rows"] + counts["rejected_rows"] == 100
    assert counts["problems_by_kind"] == {"formula_injection": 1, "missing_value": 2}
    assert counts["problems"] == 3 == len(document["problems"])
    assert set(document["problems"][0]) == {"line", "column", "kind", "reason", "value"}
    assert document["limits"]["max_rows"] == ValidationLimits().max_rows


def test_values_in_the_report_are_short_and_printable() -> None:
    fields = valid_rows(1)[0].split(";")
    fields[0] = "\x07" + "A" * 200
    value = validate(HEADER + "\n" + ";".join(fields) + "\n").problems[0].value
    assert value is not None
    assert value.startswith("\\x07AAA") and value.endswith("...")
    assert len(value) < 60


def test_category_and_integer_columns_both_exist_in_the_contract() -> None:
    # The tests above rely on both kinds being present; fail loudly if the contract changes.
    assert {column.kind for column in CONTRACT.columns} == {CATEGORY, INTEGER}
