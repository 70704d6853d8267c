"""Whole-template snapshots of every stack in every stage, with volatile values masked.

A snapshot changes only when infrastructure changes: asset hashes (which move with any edit to a
Lambda or a training script) are replaced by a placeholder, so review the diff of the
infrastructure, and `make test` plus `pytest --snapshot-update` to accept it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
_VOLATILE_METADATA = ("aws:asset:path", "aws:asset:property", "aws:cdk:path")


def mask_volatile(value: Any) -> Any:
    """Replace asset hashes anywhere in the template; drop asset-path metadata."""
    if isinstance(value, dict):
        return {
            key: mask_volatile(item) for key, item in value.items() if key not in _VOLATILE_METADATA
        }
    if isinstance(value, list):
        return [mask_volatile(item) for item in value]
    if isinstance(value, str):
        return _ASSET_HASH.sub("<asset-hash>", value)
    return value


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def test_every_stack_matches_its_snapshot(stage, snapshot_json):
    for stack_name, template in stage.templates():
        assert mask_volatile(template) == snapshot_json(name=stack_name)


def test_masking_hides_asset_hashes_but_keeps_everything_else():
    digest = "a" * 64
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Code": {"S3Key": f"{digest}.zip"}, "MemorySize": 512},
                "Metadata": {"aws:asset:path": f"asset.{digest}"},
            }
        }
    }
    assert mask_volatile(template) == {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Code": {"S3Key": "<asset-hash>.zip"}, "MemorySize": 512},
                "Metadata": {},
            }
        }
    }
