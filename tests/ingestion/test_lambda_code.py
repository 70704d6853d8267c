"""Staging a Lambda asset without Docker: the right files, nothing else, stable content."""

from __future__ import annotations

import os
import shutil

import aws_cdk as cdk
import pytest

from stacks.constructs.lambda_code import (
    CONTRACT_FILES,
    LAMBDAS_DIR,
    LambdaCodeError,
    stage_lambda_directory,
)

VALIDATOR = LAMBDAS_DIR / "validator"


def _files(directory):
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def test_validator_asset_holds_the_package_and_the_contract_at_its_root(tmp_path):
    staged = stage_lambda_directory("validator", VALIDATOR, build_dir=tmp_path)
    assert staged == tmp_path / "validator"
    files = _files(staged)
    assert "contract.py" in files and "student_contract.json" in files
    # The handler the function is configured with, and every module of the package.
    assert "validator/handler.py" in files
    modules = sorted(p.name for p in VALIDATOR.glob("*.py"))
    assert [f for f in files if f.startswith("validator/")] == [f"validator/{m}" for m in modules]
    assert (staged / "contract.py").read_bytes() == CONTRACT_FILES[0].read_bytes()


def test_caches_and_litter_are_not_shipped(tmp_path):
    package = tmp_path / "src" / "pkg"
    (package / "__pycache__").mkdir(parents=True)
    (package / "sub").mkdir()
    (package / "handler.py").write_text("X = 1\n")
    (package / "sub" / "data.json").write_text("{}\n")
    (package / "__pycache__" / "handler.cpython-314.pyc").write_bytes(b"\0")
    (package / "__pycache__" / "stale.py").write_text("")
    (package / ".notes.py").write_text("")
    (package / "README.md").write_text("")
    (package / "handler.py~").write_text("")
    extra = tmp_path / "src" / "contract.py"
    extra.write_text("C = 1\n")
    staged = stage_lambda_directory("fn", package, [extra], build_dir=tmp_path / "build")
    assert _files(staged) == ["contract.py", "pkg/handler.py", "pkg/sub/data.json"]


def test_staging_twice_gives_the_same_asset_hash_and_leaves_the_directory_alone(tmp_path):
    package = tmp_path / "src" / "validator"
    shutil.copytree(VALIDATOR, package, ignore=shutil.ignore_patterns("__pycache__"))
    build = tmp_path / "build"
    first = stage_lambda_directory("validator", package, build_dir=build)
    fingerprint = cdk.FileSystem.fingerprint(str(first))
    inode = first.stat().st_ino
    os.utime(package / "handler.py", (1, 1))  # another timestamp is not a change of code
    second = stage_lambda_directory("validator", package, build_dir=build)
    assert cdk.FileSystem.fingerprint(str(second)) == fingerprint
    assert second.stat().st_ino == inode


def test_a_changed_or_stale_directory_is_rebuilt_with_exactly_the_sources(tmp_path):
    staged = stage_lambda_directory("validator", VALIDATOR, build_dir=tmp_path)
    fingerprint = cdk.FileSystem.fingerprint(str(staged))
    (staged / "validator" / "handler.py").write_text("tampered = True\n")
    (staged / "validator" / "__pycache__").mkdir()
    (staged / "validator" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    rebuilt = stage_lambda_directory("validator", VALIDATOR, build_dir=tmp_path)
    assert cdk.FileSystem.fingerprint(str(rebuilt)) == fingerprint
    assert not (rebuilt / "validator" / "__pycache__").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["validator"], "no leftovers"


def test_a_code_change_changes_the_asset_hash(tmp_path):
    package = tmp_path / "src" / "pkg"
    package.mkdir(parents=True)
    (package / "handler.py").write_text("X = 1\n")
    build = tmp_path / "build"

    def fingerprint() -> str:
        return cdk.FileSystem.fingerprint(
            str(stage_lambda_directory("fn", package, [], build_dir=build))
        )

    before = fingerprint()
    (package / "handler.py").write_text("X = 2\n")
    after = fingerprint()
    assert before != after


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing_package", "does not exist"),
        ("no_module", "has no Python module"),
        ("missing_extra", "for the Lambda asset does not exist"),
        ("clash", "would clash"),
    ],
)
def test_unstageable_code_fails_with_a_clear_error(tmp_path, setup, message):
    package = tmp_path / "pkg"
    if setup != "missing_package":
        package.mkdir()
        (package / ("data.json" if setup == "no_module" else "handler.py")).write_text("{}")
    extras = tmp_path / "extras"
    extras.mkdir()
    # "clash": a root file named like the package directory would overwrite it.
    extra = extras / ("pkg" if setup == "clash" else "contract.py")
    if setup != "missing_extra":
        extra.write_text("")
    with pytest.raises(LambdaCodeError, match=message):
        stage_lambda_directory("fn", package, [extra], build_dir=tmp_path / "build")


def test_the_asset_directory_name_is_a_plain_name(tmp_path):
    with pytest.raises(LambdaCodeError, match="not a plain directory name"):
        stage_lambda_directory("../escape", VALIDATOR, build_dir=tmp_path)
