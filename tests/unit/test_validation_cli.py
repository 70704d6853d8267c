"""``python -m tools.validate_file``: the report on stdout and the exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools import validate_file
from tools.sample_data import DefectSpec, write_csv

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict | None, str]:
    status = validate_file.main(list(argv))
    captured = capsys.readouterr()
    report = json.loads(captured.out) if captured.out.strip() else None
    return status, report, captured.err


def test_a_clean_file_exits_0_with_an_accepting_report(tmp_path: Path, capsys) -> None:
    generated = write_csv(tmp_path / "clean.csv", 50, seed=3, quoting="uci")
    status, report, _ = run(capsys, str(generated.path))
    assert status == 0
    assert report is not None
    assert report["verdict"] == "accepted"
    assert report["counts"]["rows"] == 50
    assert report["source"] == {"path": str(generated.path), "size": generated.bytes}


def test_a_bad_file_exits_1_and_lists_its_problems(tmp_path: Path, capsys) -> None:
    generated = write_csv(tmp_path / "bad.csv", 50, seed=3, defects=[DefectSpec("missing", 2)])
    status, report, _ = run(capsys, str(generated.path))
    assert status == 1
    assert report is not None
    assert report["counts"]["problems_by_kind"] == {"missing_value": 2}
    assert [p["line"] for p in report["problems"]] == [d.line for d in generated.defects]


def test_limits_come_from_the_options(tmp_path: Path, capsys) -> None:
    generated = write_csv(tmp_path / "clean.csv", 50, seed=3)
    status, report, _ = run(capsys, str(generated.path), "--max-bytes", "100")
    assert status == 1
    assert report is not None
    assert report["counts"]["problems_by_kind"] == {"file_too_large": 1}
    status, report, _ = run(capsys, str(generated.path), "--min-rows", "51", "--max-rows", "60")
    assert report is not None
    assert (status, report["limits"]["min_rows"]) == (1, 51)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: path"),
        (["x.csv", "--max-bytes", "0"], "must be positive"),
        (["x.csv", "--max-rows", "ten"], "not an integer"),
        (["x.csv", "--min-rows", "9", "--max-rows", "5"], "min_rows (9) exceeds max_rows (5)"),
        (["/nonexistent/students.csv"], "cannot read /nonexistent/students.csv"),
    ],
)
def test_usage_errors_exit_2_with_a_message(argv: list[str], message: str, capsys) -> None:
    status, report, err = run(capsys, *argv)
    assert status == 2
    assert report is None
    assert message in err


def test_runs_as_a_module_from_the_repository_root(tmp_path: Path) -> None:
    generated = write_csv(tmp_path / "bad.csv", 20, seed=1, defects=[DefectSpec("formula")])
    result = subprocess.run(
        [sys.executable, "-m", "tools.validate_file", str(generated.path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["counts"]["problems_by_kind"] == {"formula_injection": 1}
