"""The model image's repository, from the pinned framework version and the SDK's table."""

from __future__ import annotations

import pytest

from framework import SKLEARN_FRAMEWORK_VERSION
from stacks.serving.image import (
    ImageLookupError,
    ImageRepository,
    pinned_framework_version,
    sklearn_image_repository,
)


def test_pinned_version_is_read_from_framework_py_without_running_it():
    assert pinned_framework_version() == SKLEARN_FRAMEWORK_VERSION


def test_pinned_version_must_be_a_string_literal(tmp_path):
    path = tmp_path / "framework.py"
    path.write_text("SKLEARN_FRAMEWORK_VERSION = compute()\n")
    with pytest.raises(ImageLookupError, match="does not assign SKLEARN_FRAMEWORK_VERSION"):
        pinned_framework_version(path)


@pytest.mark.parametrize(
    ("region", "account"), [("us-east-1", "683313688378"), ("eu-west-1", "141502667606")]
)
def test_repository_is_the_regional_scikit_learn_one(region, account):
    assert sklearn_image_repository(region) == ImageRepository(
        account=account, region=region, name="sagemaker-scikit-learn"
    )


def test_unknown_versions_and_regions_are_named():
    with pytest.raises(ImageLookupError, match=r"version '0\.1-0' is unknown"):
        sklearn_image_repository("us-east-1", "0.1-0")
    with pytest.raises(ImageLookupError, match=r"not published in region 'xx-nowhere-1'"):
        sklearn_image_repository("xx-nowhere-1")
