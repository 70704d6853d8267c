"""Benchmark the upload validator against pandas, and the Lambda handler's cold import.

    python -m tools.bench_validator [--sizes-mb 100,1024] [--runs 3] [--keep]

For each size, a synthetic student-records file (UCI-style quoting, ``tools.sample_data``) is
written under ``build/bench/``. Each contender then runs in a fresh interpreter, ``--runs``
times (round-robin), and reports its time and its peak resident memory (``VmHWM``):

- ``validator``: ``validator.validation`` as the Lambda and ``tools.validate_file`` run it;
- ``pandas``: ``pandas.read_csv`` in chunks of 250,000 rows plus the same checks, vectorised:
  header names and order, integer columns parsed as integers within their range, categories
  within their allowed values, no empty field, no duplicate row (64-bit row hashes, exhaustive);
- ``pandas-whole`` (files up to 200 MB only): one ``read_csv`` of the whole file, same checks.

Then the cold import of ``validator.handler`` (median over fresh interpreters) and the cost of
its first event's setup (boto3 clients, tracer, idempotency; no AWS call is made).

Medians are printed (the machine is shared and noisy); everything is also written to
``build/bench/results.json``. Files of 1 GB and more are deleted at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from . import REPO_ROOT

BENCH_DIR = REPO_ROOT / "build" / "bench"
MIB = 1024 * 1024
QUOTING = "uci"  # text and the G1/G2 grades quoted, as in the original UCI files
PANDAS_CHUNK_ROWS = 250_000
WHOLE_FILE_LIMIT_MB = 200
CONTENDERS = ("validator", "pandas", "pandas-whole")


# -- workers (each runs alone in a fresh interpreter) --------------------------------------


def _peak_rss_mb() -> float:
    """This process's peak resident memory since it started its own program.

    Not ``ru_maxrss`` alone: Linux carries it across exec, so a child would report at least
    the size of the (forked) parent. ``VmHWM`` belongs to the program's own address space.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _run_validator(path: Path) -> dict:
    from validator.validation import ValidationLimits, iter_path, validate_chunks

    size = path.stat().st_size
    limits = ValidationLimits(max_bytes=size + 1, max_rows=size)  # every row is checked
    started = time.perf_counter()
    report = validate_chunks(iter_path(path), limits=limits, reread=lambda: iter_path(path))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": report.rows,
        "verdict": report.verdict,
        "problems": report.problem_counts,
    }


def _pandas_checks(frame, contract, state: dict) -> None:
    """The validator's checks, vectorised over one DataFrame; counts go into ``state``."""
    import numpy as np
    import pandas as pd

    problems = state["problems"]

    def count(kind: str, number: int) -> None:
        if number:
            problems[kind] = problems.get(kind, 0) + int(number)

    count("missing_value", frame.isna().to_numpy().sum())
    for column in contract.columns:
        values = frame[column.name]
        if column.kind == "integer":
            if not pd.api.types.is_integer_dtype(values.dtype):
                numbers = pd.to_numeric(values, errors="coerce")
                whole = numbers.notna() & (numbers == np.floor(numbers))
                count("not_integer", (values.notna() & ~whole).sum())
                values = numbers.where(whole)
            inside = values.between(column.minimum, column.maximum)
            count("out_of_range", (values.notna() & ~inside).sum())
        else:
            count("not_allowed", (values.notna() & ~values.isin(column.allowed)).sum())
    state["hashes"].append(pd.util.hash_pandas_object(frame, index=False).to_numpy())
    state["rows"] += len(frame)


def _run_pandas(path: Path, whole_file: bool) -> dict:
    import numpy as np
    import pandas as pd

    from contract import load_contract

    contract = load_contract()
    categories = {c.name: "category" for c in contract.columns if c.kind == "category"}
    state: dict = {"problems": {}, "hashes": [], "rows": 0}
    started = time.perf_counter()
    read = {
        "sep": contract.delimiter,
        "quotechar": contract.quotechar,
        "encoding": "utf-8",
        "dtype": categories,
        "keep_default_na": False,  # only an empty field is missing ("NA" is just a bad value)
        "na_values": [""],
    }
    if whole_file:
        frames = [pd.read_csv(path, **read)]
    else:
        frames = pd.read_csv(path, chunksize=PANDAS_CHUNK_ROWS, **read)
    for frame in frames:
        if list(frame.columns) != list(contract.column_names):
            state["problems"]["header"] = 1
            break
        _pandas_checks(frame, contract, state)
    hashes = np.concatenate(state["hashes"]) if state["hashes"] else np.array([])
    duplicates = len(hashes) - len(np.unique(hashes))
    if duplicates:
        state["problems"]["duplicate_row"] = duplicates
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": state["rows"],
        "verdict": "rejected" if state["problems"] else "accepted",
        "problems": state["problems"],
    }


def _worker(contender: str, path: Path) -> None:
    if contender == "validator":
        result = _run_validator(path)
    else:
        result = _run_pandas(path, whole_file=contender == "pandas-whole")
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))


# -- the driver ----------------------------------------------------------------------------


def _python_path() -> str:
    folders = [str(REPO_ROOT / "lambdas"), str(REPO_ROOT / "training_scripts"), str(REPO_ROOT)]
    return os.pathsep.join(folders)


def _in_fresh_interpreter(arguments: list[str], environ: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, *arguments],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": _python_path(), **(environ or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed:\n{result.stderr[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


WORKER = ["-m", "tools.bench_validator", "--worker"]


def _measure_all(contenders: list[str], path: Path, runs: int) -> list[dict]:
    """Round-robin over the contenders, so a burst of load elsewhere hits them alike."""
    results: dict[str, list[dict]] = {contender: [] for contender in contenders}
    for _ in range(runs):
        for contender in contenders:
            output = _in_fresh_interpreter([*WORKER, contender, str(path)])
            results[contender].append(json.loads(output))
    return [_summary(contender, path, runs_of) for contender, runs_of in results.items()]


def _summary(contender: str, path: Path, results: list[dict]) -> dict:
    size_mb = path.stat().st_size / 1e6
    seconds = statistics.median(r["seconds"] for r in results)
    return {
        "contender": contender,
        "runs": len(results),
        "seconds_median": round(seconds, 3),
        "seconds_all": [round(r["seconds"], 3) for r in results],
        "mb_per_s": round(size_mb / seconds, 1),
        "rows_per_s": round(results[0]["rows"] / seconds),
        "peak_rss_mb_median": round(statistics.median(r["peak_rss_mb"] for r in results), 1),
        "rows": results[0]["rows"],
        "verdict": results[0]["verdict"],
        "problems": results[0]["problems"],
    }


def _make_file(size_mb: int, seed: int) -> Path:
    from tools.sample_data import CHUNK_ROWS, iter_csv_text, write_csv

    path = BENCH_DIR / f"students-{size_mb}mb.csv"
    header, sample = list(iter_csv_text(CHUNK_ROWS, seed, quoting=QUOTING))
    rows = round((size_mb * MIB - len(header)) / (len(sample) / CHUNK_ROWS))
    if not path.exists() or abs(path.stat().st_size - size_mb * MIB) > MIB:
        print(f"writing {path} ({rows} rows)...", file=sys.stderr)
        write_csv(path, rows, seed, quoting=QUOTING)
    return path


IMPORT_SNIPPET = (
    "import time; started = time.perf_counter(); import validator.handler; "
    "print((time.perf_counter() - started) * 1000)"
)
FIRST_EVENT_SNIPPET = (
    "import time; import validator.handler as handler; started = time.perf_counter(); "
    "handler.runtime(); print((time.perf_counter() - started) * 1000)"
)
FAKE_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "RAW_BUCKET_NAME": "raw",
    "CURATED_BUCKET_NAME": "curated",
    "CURATED_KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/bench",
    "QUARANTINE_BUCKET_NAME": "quarantine",
    "QUARANTINE_KMS_KEY_ID": "arn:aws:kms:eu-west-1:123456789012:key/bench",
    "PIPELINE_NAME": "bench",
    "ALERT_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:bench",
    "IDEMPOTENCY_TABLE_NAME": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "bench",
}


def _cold_start(samples: int) -> dict:
    imports = [float(_in_fresh_interpreter(["-c", IMPORT_SNIPPET])) for _ in range(samples)]
    setups = [
        float(_in_fresh_interpreter(["-c", FIRST_EVENT_SNIPPET], FAKE_ENVIRONMENT))
        for _ in range(max(3, samples // 3))
    ]
    return {
        "handler_import_ms_median": round(statistics.median(imports), 1),
        "handler_import_ms_all": [round(value, 1) for value in imports],
        "first_event_setup_ms_median": round(statistics.median(setups), 1),
    }


def _print_table(size_mb: int, path: Path, rows: list[dict]) -> None:
    print(f"\n{path.name}: {path.stat().st_size / 1e6:.0f} MB, {rows[0]['rows']} rows")
    print(f"{'contender':<22}{'MB/s':>8}{'rows/s':>12}{'seconds':>10}{'peak RSS MB':>13}  verdict")
    for row in rows:
        print(
            f"{row['contender']:<22}{row['mb_per_s']:>8}{row['rows_per_s']:>12}"
            f"{row['seconds_median']:>10}{row['peak_rss_mb_median']:>13}  {row['verdict']}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench_validator")
    parser.add_argument("--sizes-mb", default="100,1024", help="file sizes in MiB")
    parser.add_argument("--runs", type=int, default=3, help="runs per contender and size")
    parser.add_argument("--import-samples", type=int, default=9)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", action="store_true", help="keep files of 1 GB and more")
    parser.add_argument("--worker", nargs=2, metavar=("CONTENDER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker[0], Path(args.worker[1]))
        return 0
    sizes = [int(size) for size in args.sizes_mb.split(",")]
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "files": [],
    }
    for size_mb in sizes:
        path = _make_file(size_mb, args.seed)
        contenders = [
            c for c in CONTENDERS if c != "pandas-whole" or size_mb <= WHOLE_FILE_LIMIT_MB
        ]
        rows = _measure_all(contenders, path, args.runs)
        _print_table(size_mb, path, rows)
        results["files"].append({"name": path.name, "bytes": path.stat().st_size, "results": rows})
        if size_mb >= 1000 and not args.keep:
            path.unlink()
    results["cold_start"] = _cold_start(args.import_samples)
    cold = results["cold_start"]
    print(
        f"\nvalidator.handler cold import: {cold['handler_import_ms_median']} ms (median of "
        f"{args.import_samples}); first event setup: {cold['first_event_setup_ms_median']} ms"
    )
    results["load_average_at_end"] = os.getloadavg()
    print(f"load average at start {results['load_average_at_start']}, at end {os.getloadavg()}")
    (BENCH_DIR / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
