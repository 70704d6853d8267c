"""The synthetic data generator: determinism, validity under the contract, real defects."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from contract import load_contract
from tools import sample_data
from tools.sample_data import DefectSpec

CONTRACT = load_contract()
CELL_DEFECTS = ("missing", "out_of_range", "unknown_category", "non_integer", "formula")


def parse(text: str, delimiter: str = CONTRACT.delimiter) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter, quotechar=CONTRACT.quotechar))


def invalid_fields(header: list[str], row: list[str]) -> list[str]:
    return [
        name
        for name, value in zip(header, row, strict=True)
        if not CONTRACT.column(name).accepts(value)
    ]


def test_same_seed_gives_same_file_and_another_seed_does_not() -> None:
    first = sample_data.render_csv(300, seed=5).text
    assert sample_data.render_csv(300, seed=5).text == first
    assert sample_data.render_csv(300, seed=6).text != first


def test_a_shorter_file_is_a_prefix_of_a_longer_one_across_chunks() -> None:
    rows = sample_data.CHUNK_ROWS + 500
    longer = list(sample_data.generate_rows(rows, seed=2))
    shorter = list(sample_data.generate_rows(rows - 300, seed=2))
    assert longer[: len(shorter)] == shorter


@pytest.mark.parametrize("quoting", sample_data.QUOTING_STYLES)
def test_clean_records_are_valid_under_the_contract(quoting: str) -> None:
    rows = parse(sample_data.render_csv(3000, seed=1, quoting=quoting).text)
    header, body = rows[0], rows[1:]
    assert tuple(header) == CONTRACT.column_names
    assert len(body) == 3000
    problems = [(index, invalid_fields(header, row)) for index, row in enumerate(body)]
    assert [problem for problem in problems if problem[1]] == []


def test_uci_quoting_quotes_text_and_the_period_grades_like_the_original_files() -> None:
    first_record = sample_data.render_csv(1, seed=0, quoting="uci").text.splitlines()[1]
    fields = first_record.split(";")
    positions = {name: index for index, name in enumerate(CONTRACT.column_names)}
    assert fields[positions["school"]].startswith('"')
    assert fields[positions["G2"]].startswith('"')
    assert not fields[positions["G3"]].startswith('"')
    assert not fields[positions["age"]].startswith('"')


def test_every_column_varies_so_the_data_exercises_the_whole_contract() -> None:
    columns = sample_data.generate_columns(2000, seed=3)
    constant = [name for name, values in columns.items() if len(set(values.tolist())) < 2]
    assert constant == []


def test_typed_columns_match_the_text_records() -> None:
    columns = sample_data.generate_columns(50, seed=4)
    records = list(sample_data.generate_rows(50, seed=4))
    assert [record["G3"] for record in records] == [str(value) for value in columns["G3"]]
    assert [record["Mjob"] for record in records] == list(columns["Mjob"])


@pytest.mark.parametrize("kind", CELL_DEFECTS)
def test_each_cell_defect_is_really_in_the_file_and_nowhere_else(kind: str) -> None:
    rendered = sample_data.render_csv(400, seed=8, defects=[DefectSpec(kind, 6)])
    rows = parse(rendered.text)
    header, body = rows[0], rows[1:]
    assert len(rendered.defects) == 6
    assert {defect.kind for defect in rendered.defects} == {kind}
    defect_rows = set()
    for defect in rendered.defects:
        assert defect.row is not None and defect.column is not None
        row = body[defect.row]
        assert row[header.index(defect.column)] == defect.value
        assert invalid_fields(header, row) == [defect.column]
        assert rows[defect.line - 1] == row  # line numbers count the header as line 1
        defect_rows.add(defect.row)
    clean = [index for index, row in enumerate(body) if not invalid_fields(header, row)]
    assert len(clean) == 400 - len(defect_rows)


def test_formula_payloads_reach_the_file_intact_even_when_they_need_quoting() -> None:
    rendered = sample_data.render_csv(2000, seed=1, defects=[DefectSpec("formula", 40)])
    rows = parse(rendered.text)
    payloads = {rows[defect.line - 1][rows[0].index(defect.column)] for defect in rendered.defects}
    assert payloads == set(sample_data.FORMULA_PAYLOADS)
    assert any('"' in payload for payload in payloads)


def test_duplicates_copy_the_previous_clean_row() -> None:
    rendered = sample_data.render_csv(
        200, seed=9, defects=[DefectSpec("duplicate", 5), DefectSpec("missing", 5)]
    )
    body = parse(rendered.text)[1:]
    duplicates = [defect for defect in rendered.defects if defect.kind == "duplicate"]
    assert len(duplicates) == 5
    for defect in duplicates:
        assert defect.row is not None
        assert body[defect.row] == body[defect.row - 1]
        assert invalid_fields(list(rendered.header), body[defect.row]) == []
    assert len({tuple(row) for row in body}) == 195


def test_wrong_column_order_swaps_header_and_values_consistently() -> None:
    rendered = sample_data.render_csv(300, seed=4, defects=[DefectSpec("wrong_column_order")])
    rows = parse(rendered.text)
    header = rows[0]
    moved = [index for index, name in enumerate(header) if name != CONTRACT.column_names[index]]
    assert len(moved) == 2
    assert sorted(header) == sorted(CONTRACT.column_names)
    assert rendered.defects[0].column == ",".join(CONTRACT.column_names[index] for index in moved)
    assert all(invalid_fields(header, row) == [] for row in rows[1:])


def test_wrong_delimiter_uses_commas_and_still_parses_with_them() -> None:
    rendered = sample_data.render_csv(
        100, seed=4, defects=[DefectSpec("wrong_delimiter"), DefectSpec("formula", 20)]
    )
    first_line = rendered.text.splitlines()[0]
    assert ";" not in first_line
    rows = parse(rendered.text, delimiter=",")
    assert tuple(rows[0]) == CONTRACT.column_names
    assert all(len(row) == len(CONTRACT.columns) for row in rows)
    assert rendered.delimiter == "," and rendered.defects[0].kind == "wrong_delimiter"


def test_generate_rows_reports_the_same_defects_as_the_csv() -> None:
    defects = [DefectSpec("out_of_range", 3), DefectSpec("unknown_category", 2)]
    records = list(sample_data.generate_rows(100, seed=2, defects=defects))
    injected = sample_data.injected_defects(100, seed=2, defects=defects)
    assert injected == sample_data.render_csv(100, seed=2, defects=defects).defects
    for defect in injected:
        assert defect.row is not None and defect.column is not None
        assert records[defect.row][defect.column] == defect.value


def test_generate_rows_refuses_file_level_defects() -> None:
    with pytest.raises(ValueError, match="wrong_delimiter"):
        list(sample_data.generate_rows(10, defects=[DefectSpec("wrong_delimiter")]))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("missing:x", "count must be an integer"),
        ("typo:3", "unknown defect kind 'typo'"),
        ("missing:0", ">= 1"),
    ],
)
def test_bad_defect_specs_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sample_data.parse_defect(text)


def test_parse_defect_reads_kind_and_count() -> None:
    assert sample_data.parse_defect("missing:5") == DefectSpec("missing", 5)
    assert sample_data.parse_defect("wrong_delimiter") == DefectSpec("wrong_delimiter", 1)


def test_too_many_defects_for_the_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="need at least 12 rows"):
        sample_data.render_csv(10, defects=[DefectSpec("missing", 6)])


def test_zero_rows_gives_a_header_only_file() -> None:
    assert sample_data.render_csv(0).text == CONTRACT.delimiter.join(CONTRACT.column_names) + "\n"


def test_the_best_possible_predictor_reaches_the_noise_floor_and_no_better() -> None:
    floor = sample_data.noise_floor_rmse()
    columns = sample_data.generate_columns(60_000, seed=123)
    target = columns["G3"].astype(float)
    bayes_rmse = float(np.sqrt(np.mean((sample_data.expected_g3(columns) - target) ** 2)))
    noiseless_rmse = float(np.sqrt(np.mean((sample_data.noiseless_g3(columns) - target) ** 2)))
    assert bayes_rmse == pytest.approx(floor, rel=0.02)
    assert noiseless_rmse > bayes_rmse  # rounding and clipping make E[G3|x] differ from f(x)
    # Rounding adds variance, clipping removes some: near, but not equal to, the noise SD.
    assert floor == pytest.approx(sample_data.NOISE_SD, rel=0.05)
    assert floor != pytest.approx(sample_data.NOISE_SD, rel=1e-3)


def test_predicting_g2_is_clearly_worse_than_the_noise_floor() -> None:
    columns = sample_data.generate_columns(20_000, seed=5)
    g2_rmse = float(np.sqrt(np.mean((columns["G2"] - columns["G3"]) ** 2.0)))
    assert g2_rmse > 1.3 * sample_data.noise_floor_rmse()


def test_write_csv_streams_the_same_text_and_reports_size(tmp_path) -> None:
    path = tmp_path / "nested" / "records.csv"
    generated = sample_data.write_csv(path, 500, seed=3, defects=[DefectSpec("missing", 2)])
    text = path.read_text(encoding="utf-8")
    assert text == sample_data.render_csv(500, seed=3, defects=[DefectSpec("missing", 2)]).text
    assert generated.bytes == len(text.encode("utf-8"))
    assert generated.rows == 500 == text.count("\n") - 1


def test_rows_for_size_lands_near_the_target_size(tmp_path) -> None:
    target = 2 * 1024 * 1024
    generated = sample_data.write_csv(
        tmp_path / "sized.csv", sample_data.rows_for_size(target, seed=1), seed=1
    )
    assert generated.bytes == pytest.approx(target, rel=0.03)


def test_cli_writes_file_and_manifest(tmp_path, capsys) -> None:
    out, manifest = tmp_path / "file.csv", tmp_path / "file.json"
    status = sample_data.main(
        [
            "--rows",
            "100",
            "--seed",
            "7",
            "--out",
            str(out),
            "--defect",
            "missing:5",
            "--defect",
            "formula:2",
            "--manifest",
            str(manifest),
        ]
    )
    assert status == 0
    document = json.loads(manifest.read_text())
    assert document["rows"] == 100 and len(document["defects"]) == 7
    assert {defect["line"] for defect in document["defects"]} <= set(range(2, 102))
    lines = out.read_text().splitlines()
    for defect in document["defects"]:
        fields = parse(lines[defect["line"] - 1])[0]
        assert fields[CONTRACT.column_names.index(defect["column"])] == defect["value"]
    assert "wrote 100 rows" in capsys.readouterr().err


def test_cli_reports_impossible_requests_without_a_traceback(tmp_path, capsys) -> None:
    status = sample_data.main(
        ["--rows", "4", "--out", str(tmp_path / "x.csv"), "--defect", "missing:3"]
    )
    assert status == 2
    assert "need at least 6 rows" in capsys.readouterr().err
