"""The training script: SageMaker arguments and environment, all channel files, the artifact."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import joblib
import pytest

import train
from features import CONTRACT, FEATURE_NAMES, feature_frame
from framework import SKLEARN_FRAMEWORK_VERSION
from tools import sample_data

from .helpers import sample_frame, sample_records, write_records


def test_hyperparameter_names_are_the_ones_the_pipeline_passes() -> None:
    args = train.parse_args(
        [
            "--n-estimators",
            "7",
            "--learning-rate",
            "0.2",
            "--max-depth",
            "2",
            "--subsample",
            "0.5",
            "--min-samples-leaf",
            "3",
            "--seed",
            "9",
        ]
    )
    assert {name: getattr(args, name) for name in train.HYPERPARAMETER_NAMES} == {
        "n_estimators": 7,
        "learning_rate": 0.2,
        "max_depth": 2,
        "subsample": 0.5,
        "min_samples_leaf": 3,
        "seed": 9,
    }


def test_unknown_hyperparameters_are_refused_not_ignored() -> None:
    with pytest.raises(SystemExit):
        train.parse_args(["--n-estimatorz", "7"])


def test_paths_come_from_sagemaker_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SM_MODEL_DIR", "/m")
    monkeypatch.setenv("SM_CHANNEL_TRAIN", "/t")
    monkeypatch.setenv("SM_CHANNEL_VALIDATION", "/v")
    args = train.parse_args([])
    assert (args.model_dir, args.train, args.validation) == (Path("/m"), Path("/t"), Path("/v"))


def test_main_reads_every_file_of_both_channels_and_writes_the_artifact(
    tmp_path: Path, capsys
) -> None:
    sample_data.write_csv(tmp_path / "train" / "train-algo-1.csv", 300, seed=1)
    sample_data.write_csv(tmp_path / "train" / "nested" / "train-algo-2.csv", 200, seed=2)
    sample_data.write_csv(tmp_path / "validation" / "validation-algo-1.csv", 100, seed=3)
    status = train.main(
        [
            "--n-estimators",
            "20",
            "--train",
            str(tmp_path / "train"),
            "--validation",
            str(tmp_path / "validation"),
            "--model-dir",
            str(tmp_path / "model"),
        ]
    )
    assert status == 0
    metadata = json.loads((tmp_path / "model" / train.METADATA_FILE).read_text())
    assert metadata["train_rows"] == 500 and metadata["validation_rows"] == 100
    assert metadata["features"] == list(FEATURE_NAMES)
    assert metadata["framework_version"] == SKLEARN_FRAMEWORK_VERSION
    assert metadata["hyperparameters"]["n_estimators"] == 20
    printed = capsys.readouterr().out
    assert f"validation_rmse={metadata['validation_rmse']:.6f};" in printed
    model = joblib.load(tmp_path / "model" / train.MODEL_FILE)
    assert len(model.predict(feature_frame(sample_frame(5)))) == 5


def test_training_is_reproducible_with_a_seed() -> None:
    frame = sample_frame(400, seed=4)
    params = {
        "n_estimators": 15,
        "learning_rate": 0.1,
        "max_depth": 3,
        "subsample": 0.7,
        "min_samples_leaf": 5,
    }
    first = train.train(frame, {**params, "seed": 1}).predict(feature_frame(frame))
    second = train.train(frame, {**params, "seed": 1}).predict(feature_frame(frame))
    other = train.train(frame, {**params, "seed": 2}).predict(feature_frame(frame))
    assert (first == second).all()
    assert not (first == other).all()


def test_categories_come_from_the_contract_so_unseen_ones_still_encode() -> None:
    frame = sample_frame(300, seed=5)
    only_gp = frame[frame["school"] == "GP"]
    model = train.train(
        only_gp,
        {
            "n_estimators": 5,
            "learning_rate": 0.1,
            "max_depth": 2,
            "subsample": 1.0,
            "min_samples_leaf": 1,
            "seed": 0,
        },
    )
    ms_rows = feature_frame(frame[frame["school"] == "MS"])
    assert len(model.predict(ms_rows)) == len(ms_rows)
    encoder = model.named_steps["prepare"].named_transformers_["categories"]
    assert list(encoder.categories_[0]) == list(CONTRACT.column("school").allowed)


def test_a_bad_row_in_a_channel_fails_the_job_naming_file_and_line(tmp_path: Path, caplog) -> None:
    records = sample_records(4)
    records[2] = records[2] | {"G3": "25"}
    write_records(tmp_path / "train" / "part.csv", records)
    status = train.main(
        ["--train", str(tmp_path / "train"), "--model-dir", str(tmp_path / "model")]
    )
    assert status == 1
    assert "part.csv:4: field 'G3'" in caplog.text
    assert not (tmp_path / "model").exists()


def test_without_a_validation_channel_training_still_succeeds(tmp_path: Path, caplog) -> None:
    sample_data.write_csv(tmp_path / "train" / "a.csv", 100, seed=6)
    status = train.main(
        [
            "--n-estimators",
            "5",
            "--train",
            str(tmp_path / "train"),
            "--validation",
            str(tmp_path / "none"),
            "--model-dir",
            str(tmp_path / "model"),
        ]
    )
    assert status == 0
    assert (
        json.loads((tmp_path / "model" / train.METADATA_FILE).read_text())["validation_rmse"]
        is None
    )
    assert "no validation channel" in caplog.text


def test_rmse() -> None:
    assert train.rmse([1, 2, 3], [1, 2, 5]) == pytest.approx((4 / 3) ** 0.5)


def test_only_the_first_host_trains_when_there_are_several(tmp_path: Path, monkeypatch) -> None:
    sample_data.write_csv(tmp_path / "train" / "a.csv", 100, seed=6)
    argv = ["--n-estimators", "5", "--train", str(tmp_path / "train")]
    monkeypatch.setenv("SM_HOSTS", '["algo-2", "algo-1"]')
    monkeypatch.setenv("SM_CURRENT_HOST", "algo-2")
    assert train.main([*argv, "--model-dir", str(tmp_path / "follower")]) == 0
    assert not (tmp_path / "follower").exists()
    monkeypatch.setenv("SM_CURRENT_HOST", "algo-1")
    assert train.main([*argv, "--model-dir", str(tmp_path / "leader")]) == 0
    assert (tmp_path / "leader" / train.MODEL_FILE).is_file()


def test_the_model_carries_its_serving_code_so_the_endpoint_needs_no_download(
    model_dir: Path, tmp_path: Path
) -> None:
    # Given the artifact train.main wrote, the serving code is inside it (model.tar.gz's code/)
    code = model_dir / train.SERVING_CODE_DIR
    source = Path(train.__file__).resolve().parent
    for name in train.SERVING_CODE_FILES:
        assert (code / name).read_bytes() == (source / name).read_bytes(), name
    # And that code alone serves a prediction in a fresh interpreter (as in the container)
    (record,) = sample_records(1, seed=3)
    body = json.dumps({"instances": [record]})
    script = (
        "import sys, inference; "
        f"m = inference.model_fn({str(model_dir)!r}); "
        "out = inference.output_fn(inference.predict_fn("
        "inference.input_fn(sys.stdin.read(), 'application/json'), m), 'application/json'); "
        "print(out[0] if isinstance(out, tuple) else out)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input=body,
        capture_output=True,
        text=True,
        cwd=code,
        env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(json.loads(result.stdout)["predictions"]) == 1
