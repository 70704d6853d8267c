"""Where the model's container image lives, for the execution roles' ECR permissions.

The pipeline registers models on the SageMaker scikit-learn image pinned in
``training_scripts/framework.py``. Its registry account differs by region; the SageMaker SDK
ships the table (``image_uri_config/sklearn.json``), read here as data: importing the SDK would
add seconds to every synth for one lookup.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK_FILE = REPO_ROOT / "training_scripts" / "framework.py"
FRAMEWORK_VERSION_NAME = "SKLEARN_FRAMEWORK_VERSION"


class ImageLookupError(LookupError):
    """The image of the pinned framework version is unknown for the region."""


@dataclass(frozen=True)
class ImageRepository:
    account: str
    region: str
    name: str


def pinned_framework_version(path: Path = FRAMEWORK_FILE) -> str:
    """``SKLEARN_FRAMEWORK_VERSION`` of framework.py, read without running the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(
                isinstance(target, ast.Name) and target.id == FRAMEWORK_VERSION_NAME
                for target in node.targets
            )
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    raise ImageLookupError(f"{path} does not assign {FRAMEWORK_VERSION_NAME} a string literal")


@cache
def _sdk_sklearn_table() -> dict:
    spec = importlib.util.find_spec("sagemaker")
    if spec is None or not spec.submodule_search_locations:
        raise ImageLookupError("the SageMaker Python SDK (package 'sagemaker') is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "image_uri_config" / "sklearn.json"
    table: dict = json.loads(path.read_text(encoding="utf-8"))
    return table


def sklearn_image_repository(region: str, version: str | None = None) -> ImageRepository:
    """The ECR repository of the scikit-learn image ``version`` (default: the pinned one)."""
    version = version or pinned_framework_version()
    # The SDK lists some versions only under one scope; the image is the same for both.
    for scope in ("inference", "training"):
        entry = _sdk_sklearn_table().get(scope, {}).get("versions", {}).get(version)
        if entry is None:
            continue
        account = entry["registries"].get(region)
        if account is None:
            raise ImageLookupError(
                f"the scikit-learn {version} image is not published in region {region!r}"
            )
        return ImageRepository(account=account, region=region, name=entry["repository"])
    raise ImageLookupError(f"scikit-learn framework version {version!r} is unknown to the SDK")
