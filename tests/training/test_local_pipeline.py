"""End to end on this machine: generate -> preprocess -> train -> evaluate -> predict -> report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import features
from tools import local_pipeline, sample_data


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> local_pipeline.LocalRun:
    messages: list[str] = []
    result = local_pipeline.run_local_pipeline(
        tmp_path_factory.mktemp("local-run"), rows=6000, seed=0, log=messages.append
    )
    assert [message[:5] for message in messages[:6]] == [f"[{step}/6]" for step in range(1, 7)]
    return result


def test_test_rmse_is_within_ten_percent_of_the_noise_floor(run: local_pipeline.LocalRun) -> None:
    rmse = run.evaluation["regression_metrics"]["rmse"]["value"]
    assert run.noise_floor == sample_data.noise_floor_rmse()
    assert abs(rmse / run.noise_floor - 1) <= 0.10


def test_test_rmse_is_close_to_the_best_possible_predictor_on_the_same_records(run) -> None:
    test = features.read_clean_files(
        features.list_data_files(run.workdir / "evaluation" / "input" / "test")
    )
    best = sample_data.expected_g3({name: test[name].to_numpy() for name in test.columns})
    best_rmse = float(np.sqrt(np.mean((test["G3"].to_numpy() - best) ** 2)))
    assert run.evaluation["test_rows"] == len(test) > 700
    assert run.evaluation["regression_metrics"]["rmse"]["value"] <= 1.10 * best_rmse


def test_the_model_is_clearly_better_than_both_baselines(run: local_pipeline.LocalRun) -> None:
    rmse = run.evaluation["regression_metrics"]["rmse"]["value"]
    assert rmse < 0.8 * run.evaluation["baselines"]["predict_g2"]["rmse"]
    assert rmse < 0.5 * run.evaluation["baselines"]["predict_mean"]["rmse"]


def test_every_step_left_its_sagemaker_shaped_output(run: local_pipeline.LocalRun) -> None:
    workdir = run.workdir
    assert (workdir / "preprocessing" / "output" / "baseline" / "baseline.json").is_file()
    assert (workdir / "training" / "model" / "model.joblib").is_file()
    assert (workdir / "training" / "output" / "model.tar.gz").is_file()
    assert (
        run.evaluation_path == workdir / "evaluation" / "output" / "evaluation" / "evaluation.json"
    )
    assert (
        run.preprocess_report["rows_read"] == 6000 and run.preprocess_report["rows_rejected"] == 0
    )


def test_the_report_names_the_figures_and_embeds_the_plot(run: local_pipeline.LocalRun) -> None:
    report = run.report_path.read_text()
    rmse = run.evaluation["regression_metrics"]["rmse"]["value"]
    assert f"| rmse | {rmse:.4f} |" in report
    assert "noise floor" in report and "predicted_vs_actual.png" in report
    assert run.plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 0 <= run.sample_prediction <= 20


def test_a_small_uci_style_file_runs_through_the_cli(tmp_path: Path, capsys) -> None:
    data = tmp_path / "student-mat.csv"
    sample_data.write_csv(data, 395, seed=3, quoting="uci")
    status = local_pipeline.main(["--data", str(data), "--workdir", str(tmp_path / "run")])
    printed = capsys.readouterr().out
    assert status == 0
    evaluation_json = tmp_path / "run" / "evaluation" / "output" / "evaluation" / "evaluation.json"
    assert f"evaluation.json: {evaluation_json}" in printed
    assert "Data: `" in (tmp_path / "run" / "report" / "report.md").read_text()


def test_a_failing_step_is_named(tmp_path: Path, capsys) -> None:
    data = tmp_path / "commas.csv"
    sample_data.write_csv(data, 50, defects=[sample_data.DefectSpec("wrong_delimiter")])
    assert local_pipeline.main(["--data", str(data), "--workdir", str(tmp_path / "run")]) == 1
    assert "step preprocess failed" in capsys.readouterr().err
