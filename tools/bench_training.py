"""Benchmark training and serving on generated data; prints figures, asserts nothing.

    python -m tools.bench_training [--sizes 10000 100000] [--repeats 3] [--test-rows 50000]

For each training size: the median wall time of reading and checking the channel files, and of
fitting the default pipeline (train.py's default hyperparameters), over ``--repeats`` runs;
then the RMSE on a fresh held-out sample against the generator's noise floor. For serving:
p50/p99 in-process latency of one record and of 1,000 records through input_fn -> predict_fn
-> output_fn, over many repetitions. Medians and percentiles because this machine is noisy.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn

import features
import inference
import train
from tools import sample_data


def frame_of(rows: int, seed: int) -> pd.DataFrame:
    columns = sample_data.generate_columns(rows, seed)
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object if values.dtype == object else "int64")
            for name, values in columns.items()
        }
    )


def timed(action: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Median seconds over ``repeats`` runs, and the last result."""
    durations, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = action()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), result


def latencies_ms(action: Callable[[], object], repetitions: int) -> tuple[float, float]:
    action()  # warm-up
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 99))


def csv_body(frame: pd.DataFrame) -> str:
    names = list(features.FEATURE_NAMES)
    rows = frame[names].astype(str).agg(features.CONTRACT.delimiter.join, axis=1)
    return features.CONTRACT.delimiter.join(names) + "\n" + "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench_training", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--test-rows", type=int, default=50_000)
    parser.add_argument("--single-repetitions", type=int, default=1000)
    parser.add_argument("--batch-repetitions", type=int, default=100)
    args = parser.parse_args(argv)

    defaults = train.parse_args([])
    hyperparameters = {name: getattr(defaults, name) for name in train.HYPERPARAMETER_NAMES}
    floor = sample_data.noise_floor_rmse()
    test = frame_of(args.test_rows, seed=10_001)
    best_rmse = train.rmse(
        test[features.TARGET], sample_data.expected_g3({c: test[c].to_numpy() for c in test})
    )
    print(
        f"python {platform.python_version()}, scikit-learn {sklearn.__version__}, "
        f"hyperparameters {hyperparameters}"
    )
    print(
        f"noise floor {floor:.4f}; best possible RMSE on the {args.test_rows}-row "
        f"test sample {best_rmse:.4f}"
    )
    print()
    print(f"{'rows':>8} {'read+check s':>13} {'fit s':>8} {'test RMSE':>10} {'vs floor':>9}")

    model = None
    for rows in args.sizes:
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "train.csv"
            sample_data.write_csv(path, rows, seed=rows)
            read_seconds, frame = timed(
                lambda path=path: features.read_clean_files([path]), args.repeats
            )
        fit_seconds, model = timed(
            lambda frame=frame: train.train(frame, hyperparameters), args.repeats
        )
        rmse = train.rmse(test[features.TARGET], model.predict(features.feature_frame(test)))
        print(
            f"{rows:>8} {read_seconds:>13.2f} {fit_seconds:>8.2f} {rmse:>10.4f} "
            f"{100 * (rmse / floor - 1):>+8.1f}%"
        )

    assert model is not None
    loaded = inference.LoadedModel(pipeline=model, metadata={})
    one, batch = csv_body(test.head(1)), csv_body(test.head(1000))

    def serve(body: str) -> Callable[[], object]:
        return lambda: inference.output_fn(
            inference.predict_fn(inference.input_fn(body, inference.CSV), loaded), inference.JSON
        )

    print()
    print("in-process serving latency (input_fn -> predict_fn -> output_fn, text/csv):")
    for label, body, repetitions in (
        ("1 record", one, args.single_repetitions),
        ("1000 records", batch, args.batch_repetitions),
    ):
        p50, p99 = latencies_ms(serve(body), repetitions)
        print(f"  {label:>12}: p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   ({repetitions} repetitions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
