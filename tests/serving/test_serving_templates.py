"""The serving stacks against the compliance packs, cfn-lint, and their snapshots.

The stages of cdk.json skip the serving stack (no model package ARN), so the infra tests of the
whole platform never see it: these run the same checks on the serving app of conftest.py.
"""

from __future__ import annotations

import json

import cdk_nag
import pytest
from cfnlint.api import ManualArgs, lint
from syrupy.extensions.json import JSONSnapshotExtension

from stacks.compliance import acknowledgment_register, compliance_packs
from tests.infra.test_snapshots import mask_volatile


def _serving_stacks(served_stage):
    return (served_stage.approvals, served_stage.serving)


def _acknowledged(record, finding_rule: str, finding_path: str) -> bool:
    """cdk-nag reports the L1 (``.../Resource``) when the L2 carries the acknowledgment."""
    return record.rule == finding_rule and (
        finding_path == record.resource_path or finding_path.startswith(record.resource_path + "/")
    )


@pytest.mark.parametrize("pack", compliance_packs(), ids=lambda pack: pack.read_pack_name)
def test_every_finding_on_the_serving_stacks_is_acknowledged(served_stage, pack: cdk_nag.NagPack):
    for stack in _serving_stacks(served_stage):
        records = acknowledgment_register(stack)
        raw = pack.validate_scope(stack)
        unacknowledged = [
            (violation.rule_name, resource.construct_path)
            for violation in raw.violations
            for resource in violation.violating_resources
            if not any(
                _acknowledged(record, violation.rule_name, resource.construct_path)
                for record in records
            )
        ]
        assert unacknowledged == [], stack.stack_name


def test_acknowledgments_are_the_expected_few(served):
    """A new acknowledgment is a decision: this list changes with it."""
    prod = served["prod"]
    rules = sorted(
        {
            record.rule.split("[")[0]
            for stack in _serving_stacks(prod)
            for record in acknowledgment_register(stack)
        }
    )
    assert rules == ["AwsSolutions-IAM5", "Serverless-EventBusDLQ"]
    for stack in _serving_stacks(prod):
        for record in acknowledgment_register(stack):
            assert len(record.reason) >= 40, record


def test_serving_templates_pass_cfn_lint(served_stage):
    problems = []
    for stack in _serving_stacks(served_stage):
        matches = lint(
            json.dumps(served_stage.template(stack)),
            config=ManualArgs(regions=[served_stage.config.region]),
        )
        problems += [
            f"{stack.stack_name}: {m.rule.id} {m.message} ({'/'.join(map(str, m.path))})"
            for m in matches
            if m.rule.id[0] in "EW"
        ]
    assert problems == []


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def test_serving_stacks_match_their_snapshots(served_stage, snapshot_json):
    for stack in _serving_stacks(served_stage):
        assert mask_volatile(served_stage.template(stack)) == snapshot_json(name=stack.stack_name)
