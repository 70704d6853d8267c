"""The compliance register: real acknowledgments and pack results; hand-written reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audit.builders import resource, write_assembly
from tools.audit.assembly import load_assembly
from tools.audit.compliance import PLATFORM_PACKS, build_register, split_rule_id
from tools.audit.report import Audit


def test_the_audited_packs_are_the_packs_app_py_registers() -> None:
    from stacks.compliance import PACKS

    assert PLATFORM_PACKS == PACKS


def test_every_pack_passes_and_every_acknowledgment_is_used(stage_audit: Audit) -> None:
    register = stage_audit.compliance
    assert register.report_present and register.register_present
    assert [p.pack for p in register.packs][: len(PLATFORM_PACKS)] == list(PLATFORM_PACKS)
    assert all(p.unacknowledged == 0 for p in register.packs)
    assert register.acknowledgments and register.stale == []
    assert all(ack.resource_address for ack in register.acknowledgments)


def test_the_access_log_encryption_finding_is_acknowledged_in_three_packs(
    stage_audit: Audit,
) -> None:
    acks = [
        a
        for a in stage_audit.compliance.acknowledgments
        if a.rule == "S3DefaultEncryptionKMS" and a.construct_path.endswith("-Data/AccessLogs")
    ]
    assert sorted(a.pack for a in acks) == ["HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321"]
    assert all(a.resource_type == "AWS::S3::Bucket" for a in acks)


def test_pack_counts_add_up_to_the_acknowledgments_cdk_nag_used(stage_audit: Audit) -> None:
    used = sum(p.acknowledged for p in stage_audit.compliance.packs)
    # One acknowledgment suppresses the finding on the one construct it names.
    assert used == len(stage_audit.compliance.acknowledgments)


def test_rule_ids_split_into_pack_rule_and_finding() -> None:
    assert split_rule_id("AwsSolutions-IAM5[Resource::arn:aws:s3:::b/*]") == (
        "AwsSolutions",
        "IAM5",
        "Resource::arn:aws:s3:::b/*",
    )
    assert split_rule_id("NIST.800.53.R5-S3BucketReplicationEnabled") == (
        "NIST.800.53.R5",
        "S3BucketReplicationEnabled",
        "",
    )
    with pytest.raises(ValueError, match="not a cdk-nag rule id"):
        split_rule_id("no rule here")


def _violation(rule: str, *paths: str, acknowledged_at: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "ruleName": rule,
        "violatingConstructs": [{"constructPath": path} for path in paths],
    }
    if acknowledged_at:
        pack = rule.split("-", 1)[0]
        body |= {"acknowledgedId": f"{pack}::{rule}", "acknowledgedAt": acknowledged_at}
    return body


def test_failures_stale_acknowledgments_and_clean_packs(tmp_path: Path) -> None:
    stack = {"Resources": {"Bucket1": resource("AWS::S3::Bucket", "S-dev-A/Bucket/Resource")}}
    report = {
        "pluginReports": [
            {
                "pluginName": "AwsSolutions",
                "conclusion": "failure",
                "violations": [
                    _violation("AwsSolutions-S1", "S-dev-A/Bucket/Resource", "S-dev-A/Other")
                ],
                "suppressedViolations": [
                    _violation(
                        "AwsSolutions-S10",
                        "S-dev-A/Bucket/Resource",
                        acknowledged_at="S-dev-A/Bucket",
                    )
                ],
            },
        ]
    }
    register = [
        {"rule": "AwsSolutions-S10", "resource_path": "S-dev-A/Bucket", "reason": "r" * 40},
        {
            "rule": "HIPAA.Security-S3BucketLoggingEnabled",
            "resource_path": "S-dev-A/Bucket",
            "reason": "r" * 40,
        },
    ]
    directory = write_assembly(tmp_path, {"S-dev-A": stack}, report=report, register=register)
    result = build_register(load_assembly(directory))
    packs = {p.pack: p for p in result.packs}
    assert packs["AwsSolutions"].status == "FAIL"
    assert packs["AwsSolutions"].unacknowledged == 2  # one rule, two constructs
    assert packs["AwsSolutions"].failing_rules == ("AwsSolutions-S1",)
    assert packs["Serverless"].status == "pass (clean)" and not packs["Serverless"].in_report
    [stale] = result.stale
    assert stale.rule_id == "HIPAA.Security-S3BucketLoggingEnabled"
    assert stale.resource_address == "S-dev-A/Bucket1"
