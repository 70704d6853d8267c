"""The evaluation step: model.tar.gz in, evaluation.json with the pipeline's JsonGet paths out."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

import evaluate
from features import CONTRACT, DataError
from tools import sample_data


def pack(model_dir: Path, archive: Path) -> Path:
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for path in model_dir.iterdir():
            tar.add(path, arcname=path.name)
    return archive


def json_get(document: dict, path: str):
    """What the pipeline's JsonGet does with a dotted path."""
    for key in path.split("."):
        document = document[key]
    return document


@pytest.fixture
def evaluation(model_dir: Path, tmp_path: Path) -> dict:
    pack(model_dir, tmp_path / "input" / "model" / "model.tar.gz")
    sample_data.write_csv(tmp_path / "input" / "test" / "test-algo-1.csv", 300, seed=31)
    sample_data.write_csv(tmp_path / "input" / "test" / "test-algo-2.csv", 200, seed=32)
    status = evaluate.main(
        [
            "--model-dir",
            str(tmp_path / "input" / "model"),
            "--test-dir",
            str(tmp_path / "input" / "test"),
            "--output-dir",
            str(tmp_path / "output" / "evaluation"),
            "--bootstrap-samples",
            "50",
        ]
    )
    assert status == 0
    text = (tmp_path / "output" / "evaluation" / "evaluation.json").read_text()
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"non-JSON constant {name}"))


def test_the_condition_step_paths_hold_numbers(evaluation: dict) -> None:
    rmse = json_get(evaluation, "regression_metrics.rmse.value")
    gap = json_get(evaluation, "fairness.largest_gap.value")
    assert isinstance(rmse, float) and 0 < rmse < 3
    assert isinstance(gap, float) and gap >= 0


def test_every_metric_has_a_value_and_a_bootstrap_deviation(evaluation: dict) -> None:
    metrics = evaluation["regression_metrics"]
    assert set(metrics) == {"mse", "rmse", "mae", "r2"}
    assert all(entry["standard_deviation"] > 0 for entry in metrics.values())
    assert metrics["mse"]["value"] == pytest.approx(metrics["rmse"]["value"] ** 2)
    assert evaluation["test_rows"] == 500


def test_fairness_covers_every_sensitive_attribute_and_group(evaluation: dict) -> None:
    fairness = evaluation["fairness"]
    assert set(fairness) == {*CONTRACT.sensitive_attributes, "largest_gap"}
    assert sum(group["count"] for group in fairness["sex"].values()) == 500
    assert list(fairness["school"]) == ["GP", "MS"]


def test_the_model_beats_both_naive_baselines(evaluation: dict) -> None:
    rmse = evaluation["regression_metrics"]["rmse"]["value"]
    assert rmse < evaluation["baselines"]["predict_g2"]["rmse"]
    assert rmse < evaluation["baselines"]["predict_mean"]["rmse"]


def test_an_unpacked_model_directory_also_works(model_dir: Path, tmp_path: Path) -> None:
    sample_data.write_csv(tmp_path / "test" / "a.csv", 60, seed=3)
    status = evaluate.main(
        [
            "--model-dir",
            str(model_dir),
            "--test-dir",
            str(tmp_path / "test"),
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    assert status == 0 and (tmp_path / "out" / "evaluation.json").is_file()


def test_archives_with_members_outside_the_destination_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(DataError, match=r"escape\.txt"):
        evaluate.extract_model(archive, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_an_empty_test_channel_fails_the_job(model_dir: Path, tmp_path: Path, caplog) -> None:
    sample_data.write_csv(tmp_path / "test" / "a.csv", 0)
    status = evaluate.main(
        [
            "--model-dir",
            str(model_dir),
            "--test-dir",
            str(tmp_path / "test"),
            "--output-dir",
            str(tmp_path / "out"),
        ]
    )
    assert status == 1
    assert "no test records" in caplog.text
