"""The processing step: rejections counted by reason, stable splits per shard, baselines."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import baseline
import preprocess
from features import CONTRACT, SPLITS, DataError
from preprocess import Host
from tools import sample_data
from tools.sample_data import DefectSpec

SINGLE = Host("algo-1", 1)
REASON_OF_KIND = {
    "missing": "missing",
    "out_of_range": "out_of_range",
    "non_integer": "not_an_integer",
    "unknown_category": "not_allowed",
    "formula": "not_allowed",
}


def output_lines(output_dir: Path, split: str) -> list[str]:
    lines: list[str] = []
    for path in sorted((output_dir / split).glob("*.csv")):
        header, *rows = path.read_text(encoding="utf-8").splitlines()
        assert header == CONTRACT.delimiter.join(CONTRACT.column_names)
        lines += rows
    return lines


def test_rejected_rows_are_counted_by_reason_and_everything_else_is_written(tmp_path: Path) -> None:
    defects = [DefectSpec(kind, 3) for kind in REASON_OF_KIND] + [DefectSpec("duplicate", 2)]
    generated = sample_data.write_csv(tmp_path / "in" / "a.csv", 600, seed=4, defects=defects)
    summary = preprocess.preprocess(
        tmp_path / "in", tmp_path / "out", host=SINGLE, max_rejected_fraction=0.1
    )

    expected = Counter(
        f"{REASON_OF_KIND[defect.kind]}:{defect.column}"
        for defect in generated.defects
        if defect.kind in REASON_OF_KIND
    )
    assert summary.rejected == expected
    assert summary.rows_read == 600
    written = {split: output_lines(tmp_path / "out", split) for split in SPLITS}
    assert sum(len(lines) for lines in written.values()) == 600 - 15
    report = json.loads((tmp_path / "out" / "report" / "preprocess-algo-1.json").read_text())
    assert report["rows_rejected"] == 15 and report["rejected_by_reason"] == dict(
        sorted(expected.items())
    )


def test_duplicates_are_kept_and_land_in_the_same_split(tmp_path: Path) -> None:
    generated = sample_data.write_csv(
        tmp_path / "in" / "a.csv", 200, seed=5, defects=[DefectSpec("duplicate", 10)]
    )
    preprocess.preprocess(tmp_path / "in", tmp_path / "out", host=SINGLE)
    lines = {split: output_lines(tmp_path / "out", split) for split in SPLITS}
    assert sum(len(found) for found in lines.values()) == 200
    for split_lines in lines.values():
        counts = Counter(split_lines)
        assert all(count in (1, 2) for count in counts.values())
    assert sum(count == 2 for found in lines.values() for count in Counter(found).values()) == len(
        generated.defects
    )


def test_each_shard_is_split_exactly_as_the_whole_input_would_be(tmp_path: Path) -> None:
    text = sample_data.render_csv(900, seed=6).text.splitlines()
    header, rows = text[0], text[1:]
    (tmp_path / "whole").mkdir()
    (tmp_path / "whole" / "all.csv").write_text("\n".join([header, *rows]) + "\n")
    for shard, part in ((1, rows[:400]), (2, rows[400:])):
        (tmp_path / f"shard{shard}").mkdir()
        (tmp_path / f"shard{shard}" / "part.csv").write_text("\n".join([header, *part]) + "\n")

    preprocess.preprocess(tmp_path / "whole", tmp_path / "out-whole", host=SINGLE)
    for shard in (1, 2):
        preprocess.preprocess(
            tmp_path / f"shard{shard}", tmp_path / "out-sharded", host=Host(f"algo-{shard}", 2)
        )

    for split in SPLITS:
        assert sorted(output_lines(tmp_path / "out-sharded", split)) == sorted(
            output_lines(tmp_path / "out-whole", split)
        )
    assert not (tmp_path / "out-sharded" / "baseline" / "baseline.json").exists()
    shards = [
        json.loads(path.read_text())
        for path in sorted((tmp_path / "out-sharded" / "baseline").glob("*.json"))
    ]
    whole = json.loads((tmp_path / "out-whole" / "baseline" / "baseline.json").read_text())
    assert len(shards) == 2
    assert baseline.merge_baselines(CONTRACT, shards) == whole


def test_baseline_describes_the_training_split(tmp_path: Path) -> None:
    sample_data.write_csv(tmp_path / "in" / "a.csv", 500, seed=7)
    summary = preprocess.preprocess(tmp_path / "in", tmp_path / "out", host=SINGLE)
    document = json.loads((tmp_path / "out" / "baseline" / "baseline.json").read_text())
    train_rows = [line.split(";") for line in output_lines(tmp_path / "out", "train")]
    assert document["row_count"] == summary.written["train"] == len(train_rows)
    age = CONTRACT.column_names.index("age")
    assert document["features"]["age"]["counts"]["16"] == sum(
        row[age] == "16" for row in train_rows
    )
    assert set(document["features"]["school"]["counts"]) == {"GP", "MS"}
    assert "G3" in document["target"] and "G3" not in document["features"]


def test_columns_in_another_order_are_read_by_name(tmp_path: Path) -> None:
    sample_data.write_csv(tmp_path / "plain" / "a.csv", 300, seed=8)
    sample_data.write_csv(
        tmp_path / "swapped" / "a.csv", 300, seed=8, defects=[DefectSpec("wrong_column_order")]
    )
    preprocess.preprocess(tmp_path / "plain", tmp_path / "out-plain", host=SINGLE)
    preprocess.preprocess(tmp_path / "swapped", tmp_path / "out-swapped", host=SINGLE)
    for split in SPLITS:
        assert output_lines(tmp_path / "out-swapped", split) == output_lines(
            tmp_path / "out-plain", split
        )


def test_uci_style_quoting_and_ragged_rows(tmp_path: Path) -> None:
    text = sample_data.render_csv(100, seed=9, quoting="uci").text.splitlines()
    text[5] = text[5] + ';"extra"'
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "uci.csv").write_text("\n".join(text) + "\n\n")
    summary = preprocess.preprocess(tmp_path / "in", tmp_path / "out", host=SINGLE)
    assert summary.rejected == Counter({"wrong_field_count": 1})
    assert sum(summary.written.values()) == 99
    assert summary.blank_lines == 1
    assert '"' not in "".join(output_lines(tmp_path / "out", "train"))


def test_a_file_with_the_wrong_delimiter_fails_the_job_naming_the_file(tmp_path: Path) -> None:
    sample_data.write_csv(
        tmp_path / "in" / "commas.csv", 20, defects=[DefectSpec("wrong_delimiter")]
    )
    with pytest.raises(
        DataError, match=r"commas\.csv: header has unknown column.*separated by ';'"
    ):
        preprocess.preprocess(tmp_path / "in", tmp_path / "out", host=SINGLE)


def test_a_file_that_is_not_utf8_fails_the_job_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    header = CONTRACT.delimiter.join(CONTRACT.column_names).encode()
    (tmp_path / "in" / "latin1.csv").write_bytes(header + b"\nGP;F;\xe9\n")
    with pytest.raises(DataError, match=r"latin1\.csv: not readable as utf-8 CSV"):
        preprocess.preprocess(tmp_path / "in", tmp_path / "out", host=SINGLE)


def test_too_many_rejections_fail_the_job_after_writing_the_report(tmp_path: Path) -> None:
    sample_data.write_csv(tmp_path / "in" / "a.csv", 100, defects=[DefectSpec("missing", 10)])
    with pytest.raises(DataError, match="10 of 100 rows rejected"):
        preprocess.preprocess(
            tmp_path / "in", tmp_path / "out", host=SINGLE, max_rejected_fraction=0.05
        )
    assert (
        json.loads((tmp_path / "out" / "report" / "preprocess-algo-1.json").read_text())[
            "rows_rejected"
        ]
        == 10
    )


def test_no_input_or_no_valid_record_fails(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no input files"):
        preprocess.preprocess(tmp_path / "empty", tmp_path / "out", host=SINGLE)
    sample_data.write_csv(tmp_path / "bad" / "header-only.csv", 0)
    with pytest.raises(DataError, match="no valid records"):
        preprocess.preprocess(tmp_path / "bad", tmp_path / "out2", host=SINGLE)


def test_main_reads_the_resource_config_and_reports_failure_by_exit_status(
    tmp_path: Path, caplog
) -> None:
    sample_data.write_csv(tmp_path / "in" / "a.csv", 50, seed=1)
    config = tmp_path / "resourceconfig.json"
    config.write_text(json.dumps({"current_host": "algo-2", "hosts": ["algo-1", "algo-2"]}))
    argv = [
        "--input-dir",
        str(tmp_path / "in"),
        "--output-dir",
        str(tmp_path / "out"),
        "--resource-config",
        str(config),
    ]
    assert preprocess.main(argv) == 0
    assert (tmp_path / "out" / "train" / "train-algo-2.csv").is_file()
    assert (tmp_path / "out" / "baseline" / "baseline-algo-2.json").is_file()
    argv[1] = str(tmp_path / "missing")
    assert preprocess.main(argv) == 1
    assert "does not exist" in caplog.text


def test_split_fractions_are_checked() -> None:
    with pytest.raises(ValueError, match="train_fraction"):
        preprocess.preprocess(
            Path("."), Path("."), host=SINGLE, train_fraction=0.9, validation_fraction=0.2
        )
