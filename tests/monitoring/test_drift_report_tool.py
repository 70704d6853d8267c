"""tools.drift_report: the drift check on local files, with the stage's thresholds."""

from __future__ import annotations

import json

from tools import drift_report

from . import drift_data as data


def _files(tmp_path, columns):
    (tmp_path / "captures").mkdir()
    lines = data.capture_lines(data.records_of(columns), data.predictions_of(columns))
    (tmp_path / "captures" / "part.jsonl").write_text("\n".join(lines) + "\nnot json\n")
    (tmp_path / "baseline.json").write_text(json.dumps(data.baseline_document(rows=800)))
    return ["--captures", str(tmp_path / "captures"), "--baseline", str(tmp_path / "baseline.json")]


def test_drifted_files_are_flagged_against_the_stage_thresholds(tmp_path, capsys):
    columns = data.older_students(data.generated_columns(400, seed=8))
    assert drift_report.main([*_files(tmp_path, columns), "--stage", "prod"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("records compared: 400")
    assert "unreadable captures: 2" in lines[0]  # the bad line: its input and its output
    (age,) = [line for line in lines if line.strip().startswith("age ")]
    assert age.endswith("ALARM")
    sex = next(line for line in lines if line.strip().startswith("sex "))
    assert sex.endswith("ok")
    bad_line = 400 // 3 + 2  # 3 records per invocation line, then the bad line
    assert f"part.jsonl:{bad_line}: not a SageMaker data capture event" in out


def test_json_mode_prints_the_jobs_report(tmp_path, capsys):
    columns = data.generated_columns(300, seed=8)
    argv = [*_files(tmp_path, columns), "--min-records", "100", "--json"]
    assert drift_report.main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["records"] == 300 and report["max_feature_psi"] < 0.2


def test_a_missing_baseline_is_named(tmp_path, capsys):
    (tmp_path / "captures").mkdir()
    argv = ["--captures", str(tmp_path / "captures"), "--baseline", str(tmp_path / "nope.json")]
    assert drift_report.main(argv) == 1
    assert "nope.json" in capsys.readouterr().err
