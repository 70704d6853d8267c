"""The source dir tarball: what goes in, and the same bytes on every build."""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
from pathlib import Path

import pytest

from stacks.pipeline.sourcedir import (
    SCRIPTS_DIR,
    SourceDirError,
    build_sourcedir,
    sklearn_framework_version,
    source_files,
    tarball_bytes,
)


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "train.py").write_text("import helper\n")
    (folder / "helper.py").write_text("VALUE = 1\n")
    (folder / "contract.json").write_text("{}\n")
    (folder / "framework.py").write_text('SKLEARN_FRAMEWORK_VERSION = "1.4-2"\n')
    return folder


def _members(data: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return archive.getmembers()


def test_every_training_script_and_the_contract_ship_flat_at_the_root():
    names = source_files()
    shipped = {Path(name).name for name in names}
    expected = {path.name for path in SCRIPTS_DIR.iterdir() if path.suffix in (".py", ".json")}
    assert shipped == expected
    assert {"preprocess.py", "train.py", "evaluate.py", "inference.py", "contract.py",
            "student_contract.json"} <= shipped  # fmt: skip
    assert all("/" not in name for name in names), "the scripts import siblings as top-level"


def test_tarball_is_byte_identical_when_files_are_touched_or_copied(scripts, tmp_path):
    first = tarball_bytes(scripts)
    copy = tmp_path / "copy"
    shutil.copytree(scripts, copy)  # new inodes, new mtimes, other path
    for path in copy.iterdir():
        path.touch()
    assert tarball_bytes(copy) == first


def test_tarball_changes_when_a_script_changes(scripts):
    before = tarball_bytes(scripts)
    (scripts / "helper.py").write_text("VALUE = 2\n")
    assert tarball_bytes(scripts) != before


def test_entries_are_sorted_with_fixed_owner_mode_and_time(scripts):
    (scripts / "pkg").mkdir()
    (scripts / "pkg" / "module.py").write_text("X = 1\n")
    members = _members(tarball_bytes(scripts))
    files = [member.name for member in members if member.isfile()]
    assert files == sorted(files) == ["contract.json", "framework.py", "helper.py",
                                      "pkg/module.py", "train.py"]  # fmt: skip
    assert [member.name for member in members if member.isdir()] == ["pkg"]
    for member in members:
        assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (
            0,
            0,
            0,
            "",
            "",
        )
        assert member.mode == (0o755 if member.isdir() else 0o644)


def test_gzip_header_carries_no_time_and_no_file_name(scripts):
    data = tarball_bytes(scripts)
    flags, mtime = data[3], int.from_bytes(data[4:8], "little")
    assert mtime == 0
    assert not flags & 0x08, "FNAME flag set: the build path would leak into the bytes"
    assert gzip.decompress(data)  # still a valid gzip stream


def test_caches_and_hidden_files_are_left_out(scripts):
    (scripts / "__pycache__").mkdir()
    (scripts / "__pycache__" / "helper.cpython-311.pyc").write_bytes(b"\0")
    (scripts / "stale.pyc").write_bytes(b"\0")
    (scripts / ".DS_Store").write_bytes(b"\0")
    assert source_files(scripts) == ["contract.json", "framework.py", "helper.py", "train.py"]


def test_requirements_txt_is_refused_because_jobs_have_no_network(scripts):
    (scripts / "requirements.txt").write_text("xgboost\n")
    with pytest.raises(SourceDirError, match="without network access"):
        source_files(scripts)


def test_symlinks_are_refused(scripts):
    (scripts / "link.py").symlink_to(scripts / "helper.py")
    with pytest.raises(SourceDirError, match="only regular files"):
        source_files(scripts)


@pytest.mark.parametrize("make", [lambda p: None, lambda p: p.mkdir()], ids=["missing", "empty"])
def test_missing_or_empty_folder_is_a_clear_error(tmp_path, make):
    folder = tmp_path / "nothing"
    make(folder)
    with pytest.raises(SourceDirError, match=str(folder)):
        source_files(folder)


def test_build_writes_the_tarball_and_leaves_an_identical_one_untouched(scripts, tmp_path):
    output = tmp_path / "build" / "sourcedir.tar.gz"
    assert build_sourcedir(scripts, output) == output
    assert output.read_bytes() == tarball_bytes(scripts)
    stamp = output.stat().st_mtime_ns
    build_sourcedir(scripts, output)
    assert output.stat().st_mtime_ns == stamp
    assert [path.name for path in output.parent.iterdir()] == ["sourcedir.tar.gz"]


def test_framework_version_is_read_from_the_scripts_pin(scripts):
    from framework import SKLEARN_FRAMEWORK_VERSION

    assert sklearn_framework_version() == SKLEARN_FRAMEWORK_VERSION
    (scripts / "framework.py").write_text('SKLEARN_FRAMEWORK_VERSION = "9.9-1"\n')
    assert sklearn_framework_version(scripts) == "9.9-1"
    (scripts / "framework.py").unlink()
    with pytest.raises(SourceDirError, match="pins the SageMaker scikit-learn version"):
        sklearn_framework_version(scripts)
