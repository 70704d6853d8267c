"""Stage a Lambda function's code directory without Docker, deterministically.

A function's asset root holds its package (``lambdas/<package>/`` copied as ``<package>/``) and
loose files beside it (the data contract: ``contract.py`` and ``student_contract.json``), exactly
as the code imports them at run time::

    build/lambda/<name>/
        validator/...          # the package
        contract.py            # imported as ``from contract import load_contract``
        student_contract.json

Only source files are copied (no ``__pycache__``, editor or OS litter), byte for byte, so the
directory's content (and with it the CDK asset hash) changes only when the code does. An
unchanged directory is left untouched; a changed one is rebuilt beside it and swapped in.
"""

from __future__ import annotations

import filecmp
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import aws_lambda

REPO_ROOT = Path(__file__).resolve().parents[2]
LAMBDAS_DIR = REPO_ROOT / "lambdas"
TRAINING_SCRIPTS_DIR = REPO_ROOT / "training_scripts"
BUILD_DIR = REPO_ROOT / "build" / "lambda"

# What a Lambda asset may contain: Python modules and the data files they load.
SOURCE_SUFFIXES = frozenset({".py", ".json"})
_SKIPPED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})

# The data contract every function that reads student records ships beside its package.
CONTRACT_FILES = (
    TRAINING_SCRIPTS_DIR / "contract.py",
    TRAINING_SCRIPTS_DIR / "student_contract.json",
)


class LambdaCodeError(ValueError):
    """A function's code cannot be staged (missing package or file, name clash)."""


def source_files(package_dir: Path) -> dict[str, Path]:
    """The package's source files, keyed by POSIX path relative to the package's parent."""
    if not package_dir.is_dir():
        raise LambdaCodeError(f"Lambda package {package_dir} does not exist")
    files = {
        path.relative_to(package_dir.parent).as_posix(): path
        for path in sorted(package_dir.rglob("*"))
        if path.is_file()
        and path.suffix in SOURCE_SUFFIXES
        and not _SKIPPED_DIRS.intersection(path.relative_to(package_dir).parts[:-1])
        and not path.name.startswith(".")
    }
    if not any(name.endswith(".py") for name in files):
        raise LambdaCodeError(f"Lambda package {package_dir} has no Python module")
    return files


def asset_files(package_dir: Path, extra_files: Sequence[Path]) -> dict[str, Path]:
    """Everything the asset root holds: the package plus ``extra_files`` at the root."""
    files = source_files(package_dir)
    for extra in extra_files:
        if not extra.is_file():
            raise LambdaCodeError(f"file {extra} for the Lambda asset does not exist")
        if extra.name in files or extra.name == package_dir.name:
            raise LambdaCodeError(f"{extra.name} would clash with a file of the package")
        files[extra.name] = extra
    return dict(sorted(files.items()))


def stage_lambda_directory(
    name: str,
    package_dir: Path,
    extra_files: Sequence[Path] = CONTRACT_FILES,
    *,
    build_dir: Path = BUILD_DIR,
) -> Path:
    """Stage the asset root of function ``name`` under ``build_dir/name`` and return it."""
    if not name or "/" in name or name.startswith("."):
        raise LambdaCodeError(f"{name!r} is not a plain directory name")
    files = asset_files(package_dir, extra_files)
    target = build_dir / name
    if _holds_exactly(target, files):
        return target
    build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=build_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; Lambda reads the code as another user
    for relative, source in files.items():
        destination = staging / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)  # content only: no timestamps or modes
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{name}-old-", dir=build_dir))
        target.rename(retired / name)
        shutil.rmtree(retired)
    staging.rename(target)
    return target


def _holds_exactly(directory: Path, files: Mapping[str, Path]) -> bool:
    if not directory.is_dir():
        return False
    present = {
        path.relative_to(directory).as_posix() for path in directory.rglob("*") if path.is_file()
    }
    return present == set(files) and all(
        filecmp.cmp(directory / relative, source, shallow=False)
        for relative, source in files.items()
    )


def lambda_code(
    name: str,
    package_dir: Path,
    extra_files: Sequence[Path] = CONTRACT_FILES,
    *,
    build_dir: Path = BUILD_DIR,
) -> aws_lambda.Code:
    """Stage the function's asset root and return it as Lambda code (a zipped directory asset)."""
    return aws_lambda.Code.from_asset(
        str(stage_lambda_directory(name, package_dir, extra_files, build_dir=build_dir))
    )
