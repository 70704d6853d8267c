"""Pack ``training_scripts/`` into the ``sourcedir.tar.gz`` that every pipeline job runs.

SageMaker script mode (training and the sklearn serving container) takes a gzipped tarball,
whereas CDK directory assets are zips: so the tarball is built here at synth and shipped as a
single-file asset, uploaded as is. It is byte-for-byte reproducible (sorted entries, fixed
owner, mode and mtime, gzip header without name or time), so the asset hash, the S3 key and the
pipeline definition change only when a script does, and step caching stays valid across synths.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPTS_DIR = REPO_ROOT / "training_scripts"
DEFAULT_OUTPUT = REPO_ROOT / "build" / "pipeline" / "sourcedir.tar.gz"

# Never shipped: interpreter caches and editor/OS litter. Everything else in the folder is code
# or data the scripts load (the contract JSON), and a missing file only shows up at run time.
_SKIPPED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo", ".swp", "~")
# The sklearn containers pip-install a requirements.txt found in the source dir when a job
# starts; the jobs run network-isolated, so that install would fail the job. Refused at synth.
_FORBIDDEN_FILES = frozenset({"requirements.txt"})

_FIXED_MTIME = 0
_FILE_MODE = 0o644
_DIR_MODE = 0o755
_GZIP_LEVEL = 9


class SourceDirError(ValueError):
    """The scripts folder cannot be shipped as a SageMaker source dir."""


def source_files(scripts_dir: Path = SCRIPTS_DIR) -> list[str]:
    """Paths (relative, POSIX, sorted) of the files that go into the tarball."""
    if not scripts_dir.is_dir():
        raise SourceDirError(f"training scripts folder {scripts_dir} does not exist")
    files: list[str] = []
    for root, dirs, names in os.walk(scripts_dir):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith("."))
        for name in names:
            if name.startswith(".") or name.endswith(_SKIPPED_SUFFIXES):
                continue
            path = Path(root, name)
            relative = path.relative_to(scripts_dir).as_posix()
            if name in _FORBIDDEN_FILES:
                raise SourceDirError(
                    f"{path}: the pipeline's jobs run without network access, so the container "
                    "cannot pip-install it; use the image's packages or bake a custom image"
                )
            if path.is_symlink() or not path.is_file():
                raise SourceDirError(f"{path}: only regular files can be shipped, not links")
            files.append(relative)
    if not files:
        raise SourceDirError(f"training scripts folder {scripts_dir} has no files to ship")
    return sorted(files)


def _directories(files: Iterable[str]) -> list[str]:
    parents = {str(parent) for name in files for parent in Path(name).parents}
    parents.discard(".")
    return sorted(parents)


def _entry(name: str, *, is_dir: bool, size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.mode = _DIR_MODE if is_dir else _FILE_MODE
    info.size = size
    info.mtime = _FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def tarball_bytes(scripts_dir: Path = SCRIPTS_DIR) -> bytes:
    """The gzipped tarball of ``scripts_dir``: the same bytes for the same file contents."""
    files = source_files(scripts_dir)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for directory in _directories(files):
            archive.addfile(_entry(directory, is_dir=True))
        for name in files:
            data = (scripts_dir / name).read_bytes()
            archive.addfile(_entry(name, is_dir=False, size=len(data)), io.BytesIO(data))
    compressed = io.BytesIO()
    # filename="" and mtime=0 keep the build machine's path and clock out of the gzip header.
    with gzip.GzipFile(
        filename="", mode="wb", fileobj=compressed, compresslevel=_GZIP_LEVEL, mtime=0
    ) as gz:
        gz.write(raw.getvalue())
    return compressed.getvalue()


def build_sourcedir(scripts_dir: Path = SCRIPTS_DIR, output: Path = DEFAULT_OUTPUT) -> Path:
    """Write the tarball to ``output`` (atomically, untouched when already identical)."""
    data = tarball_bytes(scripts_dir)
    if output.is_file() and output.read_bytes() == data:
        return output
    output.parent.mkdir(parents=True, exist_ok=True)
    # Parallel synths (tests, cdk watch) may build at once: write aside, then rename over.
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".sourcedir-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return output


def sklearn_framework_version(scripts_dir: Path = SCRIPTS_DIR) -> str:
    """``SKLEARN_FRAMEWORK_VERSION`` from ``framework.py``, the scripts' one pinned version.

    Loaded from the file (not imported): ``training_scripts/`` is not a package and the CDK app
    does not put it on ``sys.path``.
    """
    path = scripts_dir / "framework.py"
    spec = importlib.util.spec_from_file_location("_training_framework", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise SourceDirError(f"{path} is missing: it pins the SageMaker scikit-learn version")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    version = getattr(module, "SKLEARN_FRAMEWORK_VERSION", None)
    if not isinstance(version, str) or not version:
        raise SourceDirError(f"{path} must define SKLEARN_FRAMEWORK_VERSION as a string")
    return version
