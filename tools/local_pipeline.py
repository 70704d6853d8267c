"""Run the SageMaker pipeline's steps on this machine: generate -> preprocess -> train -> evaluate.

The training scripts run in-process through their own ``main()`` functions, with the arguments,
environment variables (``SM_MODEL_DIR``, ``SM_CHANNEL_*``) and directory layout their SageMaker
jobs have; files move between steps the way S3 moves them (the model directory is packed into
model.tar.gz). Then one test record goes through the serving functions, and a Markdown report
with a predicted-vs-actual plot is written.

    python -m tools.local_pipeline [--rows N] [--seed S] [--data file.csv] [--workdir DIR]

Layout under the work directory (container path on the right)::

    preprocessing/input/data/           /opt/ml/processing/input/data
    preprocessing/config/               /opt/ml/config (resourceconfig.json)
    preprocessing/output/<split>/       /opt/ml/processing/output/<split>
    training/input/data/<channel>/      /opt/ml/input/data/<channel>  (SM_CHANNEL_<CHANNEL>)
    training/model/                     /opt/ml/model                 (SM_MODEL_DIR)
    training/output/model.tar.gz        the model artifact SageMaker uploads
    evaluation/input/model/             /opt/ml/processing/input/model
    evaluation/input/test/              /opt/ml/processing/input/test
    evaluation/output/evaluation/       /opt/ml/processing/output/evaluation
    report/report.md, report/predicted_vs_actual.png
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tarfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import evaluate
import features
import inference
import preprocess
import train
from tools import sample_data

STEP_DIRECTORIES = ("preprocessing", "training", "evaluation", "report")
HOST = "algo-1"


class StepFailedError(RuntimeError):
    pass


@dataclass(frozen=True)
class LocalRun:
    workdir: Path
    evaluation_path: Path
    report_path: Path
    plot_path: Path
    evaluation: dict[str, Any]
    preprocess_report: dict[str, Any]
    noise_floor: float | None
    sample_prediction: float
    sample_actual: int


@contextmanager
def environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a step, restoring the previous values."""
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_step(name: str, entry_point: Callable[[list[str]], int], argv: list[str]) -> None:
    status = entry_point(argv)
    if status != 0:
        raise StepFailedError(f"step {name} failed with exit status {status}; see the log above")


def _copy_tree(source: Path, destination: Path) -> None:
    """What an S3 upload then download does between two jobs."""
    shutil.copytree(source, destination, dirs_exist_ok=True)


def _pack_model(model_dir: Path, archive: Path) -> None:
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(model_dir.iterdir()):
            tar.add(path, arcname=path.name)


def run_local_pipeline(
    workdir: Path,
    *,
    rows: int = 5000,
    seed: int = 0,
    data: Path | None = None,
    hyperparameters: Mapping[str, str] | None = None,
    log: Callable[[str], None] = print,
) -> LocalRun:
    """Run every step; raises StepFailedError naming the step that failed."""
    workdir = workdir.resolve()
    for name in STEP_DIRECTORIES:
        shutil.rmtree(workdir / name, ignore_errors=True)
    steps = 6
    started = time.perf_counter()

    def progress(number: int, message: str) -> None:
        log(f"[{number}/{steps}] {message} ({time.perf_counter() - started:.1f}s)")

    # 1. Input data, where the processing job finds it.
    input_dir = workdir / "preprocessing" / "input" / "data"
    if data is None:
        generated = sample_data.write_csv(input_dir / "students.csv", rows, seed)
        noise_floor: float | None = sample_data.noise_floor_rmse()
        progress(1, f"generated {generated.rows} records (seed {seed}) in {generated.path}")
    else:
        input_dir.mkdir(parents=True)
        shutil.copy(data, input_dir / data.name)
        noise_floor = None
        progress(1, f"copied {data} into {input_dir}")

    # 2. Preprocessing job.
    processing_output = workdir / "preprocessing" / "output"
    resource_config = workdir / "preprocessing" / "config" / "resourceconfig.json"
    resource_config.parent.mkdir(parents=True)
    resource_config.write_text(
        json.dumps({"current_host": HOST, "hosts": [HOST]}), encoding="utf-8"
    )
    _run_step(
        "preprocess",
        preprocess.main,
        [
            "--input-dir",
            str(input_dir),
            "--output-dir",
            str(processing_output),
            "--resource-config",
            str(resource_config),
        ],
    )
    preprocess_report = json.loads(
        (processing_output / "report" / f"preprocess-{HOST}.json").read_text()
    )
    written = preprocess_report["rows_written"]
    progress(
        2,
        f"preprocessed: train {written['train']}, validation {written['validation']}, "
        f"test {written['test']}, rejected {preprocess_report['rows_rejected']}",
    )

    # 3. Training job: channels downloaded from the processing outputs.
    training = workdir / "training"
    channels = {name: training / "input" / "data" / name for name in ("train", "validation")}
    for name, directory in channels.items():
        _copy_tree(processing_output / name, directory)
    model_dir = training / "model"
    hyperparameter_args = [
        item for key, value in (hyperparameters or {}).items() for item in (f"--{key}", str(value))
    ]
    with environment(
        {
            "SM_MODEL_DIR": str(model_dir),
            "SM_CHANNEL_TRAIN": str(channels["train"]),
            "SM_CHANNEL_VALIDATION": str(channels["validation"]),
            "SM_OUTPUT_DATA_DIR": str(training / "output" / "data"),
        }
    ):
        _run_step("train", train.main, hyperparameter_args)
    archive = training / "output" / "model.tar.gz"
    _pack_model(model_dir, archive)
    metadata = json.loads((model_dir / train.METADATA_FILE).read_text())
    progress(
        3,
        f"trained on {metadata['train_rows']} rows, "
        f"validation RMSE {metadata['validation_rmse']:.3f}",
    )

    # 4. Evaluation job.
    evaluation = workdir / "evaluation"
    (evaluation / "input" / "model").mkdir(parents=True)
    shutil.copy(archive, evaluation / "input" / "model" / "model.tar.gz")
    _copy_tree(processing_output / "test", evaluation / "input" / "test")
    evaluation_dir = evaluation / "output" / "evaluation"
    _run_step(
        "evaluate",
        evaluate.main,
        [
            "--model-dir",
            str(evaluation / "input" / "model"),
            "--test-dir",
            str(evaluation / "input" / "test"),
            "--output-dir",
            str(evaluation_dir),
        ],
    )
    evaluation_path = evaluation_dir / "evaluation.json"
    report = json.loads(evaluation_path.read_text())
    progress(4, f"evaluated: test RMSE {report['regression_metrics']['rmse']['value']:.3f}")

    # 5. One record through the serving functions, as the endpoint would receive it.
    model = inference.model_fn(str(model_dir))
    test_files = features.list_data_files(evaluation / "input" / "test")
    header, first_record = test_files[0].read_text(encoding="utf-8").splitlines()[:2]
    body, _ = inference.output_fn(
        inference.predict_fn(
            inference.input_fn(f"{header}\n{first_record}\n", inference.CSV), model
        ),
        inference.JSON,
    )
    sample_prediction = json.loads(body)["predictions"][0]
    sample_actual = int(
        first_record.split(features.CONTRACT.delimiter)[header.split(";").index(features.TARGET)]
    )
    progress(5, f"sample record: predicted G3 {sample_prediction:.2f}, actual {sample_actual}")

    # 6. Report.
    test = features.read_clean_files(test_files)
    predictions = inference.predict_fn(test, model)
    report_dir = workdir / "report"
    report_dir.mkdir(parents=True)
    plot_path = report_dir / "predicted_vs_actual.png"
    _plot(test[features.TARGET].to_numpy(), predictions, plot_path)
    report_path = report_dir / "report.md"
    report_path.write_text(
        _markdown(
            report,
            preprocess_report,
            metadata,
            noise_floor,
            sample_prediction,
            sample_actual,
            data,
            rows,
            seed,
        ),
        encoding="utf-8",
    )
    progress(6, f"report written to {report_path}")
    log(f"evaluation.json: {evaluation_path}")
    log(f"report:          {report_path}")
    return LocalRun(
        workdir=workdir,
        evaluation_path=evaluation_path,
        report_path=report_path,
        plot_path=plot_path,
        evaluation=report,
        preprocess_report=preprocess_report,
        noise_floor=noise_floor,
        sample_prediction=sample_prediction,
        sample_actual=sample_actual,
    )


def _plot(actual: Any, predicted: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 5), dpi=100)
    axes.scatter(actual, predicted, s=8, alpha=0.4)
    axes.plot([0, 20], [0, 20], color="grey", linewidth=1, label="perfect prediction")
    axes.set_xlabel("actual G3")
    axes.set_ylabel("predicted G3")
    axes.set_xlim(-0.5, 20.5)
    axes.set_ylim(-0.5, 20.5)
    axes.set_title(f"Test split, {len(actual)} records")
    axes.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def _markdown(
    report: dict[str, Any],
    preprocess_report: dict[str, Any],
    metadata: dict[str, Any],
    noise_floor: float | None,
    sample_prediction: float,
    sample_actual: int,
    data: Path | None,
    rows: int,
    seed: int,
) -> str:
    metrics = report["regression_metrics"]
    rmse = metrics["rmse"]["value"]
    source = (
        f"`{data}`" if data else f"{rows} generated records (tools/sample_data.py, seed {seed})"
    )
    lines = [
        "# Local pipeline run",
        "",
        f"Data: {source}.",
        "",
        "## Preprocessing",
        "",
        f"- rows read: {preprocess_report['rows_read']}, "
        f"rejected: {preprocess_report['rows_rejected']}",
        "- written: "
        + ", ".join(
            f"{split} {count}" for split, count in preprocess_report["rows_written"].items()
        ),
    ]
    lines += [
        f"- rejected for `{reason}`: {count}"
        for reason, count in preprocess_report["rejected_by_reason"].items()
    ]
    lines += [
        "",
        "## Training",
        "",
        f"- {metadata['train_rows']} training rows, scikit-learn {metadata['sklearn_version']}",
        f"- hyperparameters: `{json.dumps(metadata['hyperparameters'])}`",
        f"- validation RMSE: {metadata['validation_rmse']:.4f}",
        "",
        f"## Test metrics ({report['test_rows']} records)",
        "",
        "| metric | value | bootstrap SD |",
        "|---|---|---|",
    ]
    for name, entry in metrics.items():
        value = "n/a" if entry["value"] is None else f"{entry['value']:.4f}"
        deviation = (
            "n/a" if entry["standard_deviation"] is None else f"{entry['standard_deviation']:.4f}"
        )
        lines.append(f"| {name} | {value} | {deviation} |")
    lines += ["", "| predictor | test RMSE |", "|---|---|", f"| model | {rmse:.4f} |"]
    lines += [f"| {name} | {entry['rmse']:.4f} |" for name, entry in report["baselines"].items()]
    if noise_floor is not None:
        lines.append(f"| noise floor (best possible) | {noise_floor:.4f} |")
        lines += [
            "",
            f"Model RMSE is {100 * (rmse / noise_floor - 1):+.1f}% "
            "from the generator's noise floor.",
        ]
    gap = report["fairness"]["largest_gap"]
    lines += ["", "## Fairness (RMSE per group)", ""]
    for attribute, groups in report["fairness"].items():
        if attribute == "largest_gap":
            continue
        cells = ", ".join(
            f"{group}: {entry['rmse']:.3f} (n={entry['count']})" for group, entry in groups.items()
        )
        lines.append(f"- **{attribute}**: {cells}")
    if gap["measurable"]:
        worst, best = gap["groups"]
        lines.append(
            f"\nLargest gap: {gap['value']:.3f} for `{gap['attribute']}` ({worst} vs {best}, "
            f"groups of at least {gap['min_group_size']} records)."
        )
    else:
        lines.append(
            "\nLargest gap not measurable: no attribute has two groups of "
            f"{gap['min_group_size']}+ records."
        )
    lines += [
        "",
        "## Sample prediction",
        "",
        "First test record through input_fn/predict_fn/output_fn: "
        f"predicted {sample_prediction:.2f}, actual {sample_actual}.",
        "",
        "![predicted vs actual](predicted_vs_actual.png)",
        "",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.local_pipeline", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--rows", type=int, default=5000, help="records to generate (ignored with --data)"
    )
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument(
        "--data", type=Path, help="use this contract CSV file instead of generated data"
    )
    parser.add_argument("--workdir", type=Path, default=Path("build/local-run"))
    parser.add_argument(
        "--hyperparameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="passed to train.py as --NAME VALUE, e.g. n-estimators=100",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    hyperparameters = dict(item.split("=", 1) for item in args.hyperparameter)
    try:
        run_local_pipeline(
            args.workdir,
            rows=args.rows,
            seed=args.seed,
            data=args.data,
            hyperparameters=hyperparameters,
        )
    except StepFailedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
