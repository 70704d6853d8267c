"""The compliance gate: five cdk-nag packs, zero unacknowledged findings, scoped acknowledgments."""

from __future__ import annotations

import json

import aws_cdk as cdk
import cdk_nag
import pytest

from stacks.compliance import PACKS, acknowledge, acknowledgment_register, compliance_packs


@pytest.mark.parametrize("pack", compliance_packs(), ids=lambda pack: pack.read_pack_name)
def test_pack_reports_no_unacknowledged_finding(stage, pack: cdk_nag.NagPack):
    # Given the validation report that synth wrote into the cloud assembly
    report = json.loads((stage.directory / "validation-report.json").read_text())
    plugin = {p["pluginName"]: p for p in report["pluginReports"]}.get(pack.read_pack_name, {})
    # Then the pack left no finding unacknowledged (a pack that finds nothing is not listed)
    assert plugin.get("violations", []) == []
    # And every raw finding of the pack on this app is one of the acknowledged ones
    acknowledged = {
        (violation["ruleName"], construct["constructPath"])
        for violation in plugin.get("suppressedViolations", [])
        for construct in violation["violatingConstructs"]
    }
    raw = pack.validate_scope(stage.app)
    findings = {
        (violation.rule_name, resource.construct_path)
        for violation in raw.violations
        for resource in violation.violating_resources
    }
    assert findings - acknowledged == set()


def test_the_five_packs_are_registered_on_the_app():
    assert sorted(pack.read_pack_name for pack in compliance_packs()) == sorted(PACKS)


def test_every_acknowledgment_is_on_one_resource_with_evidence(stage):
    records = acknowledgment_register(stage.app)
    assert records, "the data stack acknowledges replication and the log bucket's SSE-S3"
    for record in records:
        construct = stage.app.node.find_child(record.resource_path.split("/")[0])
        for part in record.resource_path.split("/")[1:]:
            construct = construct.node.find_child(part)
        assert not isinstance(construct, cdk.Stack), record
        assert isinstance(construct.node.default_child or construct, cdk.CfnResource), record
        assert len(record.reason) >= 40, record


def test_register_is_written_beside_the_templates_by_the_app(tmp_path):
    # The CLI path writes the register in app.py; reproduce that with the same function.
    from stacks.compliance import write_acknowledgment_register

    app = cdk.App()
    stack = cdk.Stack(app, "Probe")
    bucket = cdk.aws_s3.Bucket(stack, "Bucket")
    acknowledge(
        bucket,
        "AwsSolutions-S1",
        "Probe bucket in a unit test; the evidence sentence is long enough to count.",
    )
    write_acknowledgment_register(app, tmp_path / "register.json")
    rows = json.loads((tmp_path / "register.json").read_text())
    assert rows == [
        {
            "rule": "AwsSolutions-S1",
            "resource_path": "Probe/Bucket",
            "reason": "Probe bucket in a unit test; the evidence sentence is long enough to count.",
        }
    ]


@pytest.mark.parametrize(
    ("rule_id", "reason", "message"),
    [
        ("S3BucketReplicationEnabled", "x" * 50, "not a rule id"),
        ("Foo-S1", "x" * 50, "not a rule id"),
        ("AwsSolutions-S1", "false positive", "must state the evidence"),
    ],
)
def test_acknowledge_rejects_unknown_rules_and_empty_reasons(rule_id, reason, message):
    app = cdk.App()
    bucket = cdk.aws_s3.Bucket(cdk.Stack(app, "Probe"), "Bucket")
    with pytest.raises(ValueError, match=message):
        acknowledge(bucket, rule_id, reason)


def test_acknowledge_refuses_a_whole_stack():
    app = cdk.App()
    stack = cdk.Stack(app, "Probe")
    with pytest.raises(ValueError, match="not a single resource"):
        acknowledge(stack, "AwsSolutions-S1", "x" * 60)


def test_the_audit_reads_the_register_under_the_name_app_py_writes(stage):
    from app import ACKNOWLEDGMENT_REGISTER
    from tools.audit.assembly import ACKNOWLEDGMENT_REGISTER as READ_BY_AUDIT

    assert READ_BY_AUDIT == ACKNOWLEDGMENT_REGISTER
    rows = json.loads((stage.directory / ACKNOWLEDGMENT_REGISTER).read_text())
    assert {row["rule"] for row in rows} == {r.rule for r in acknowledgment_register(stage.app)}


def _policy_app(reasons: dict[str, str]) -> cdk.App:
    from stacks.compliance import acknowledge_wildcard_resources

    app = cdk.App()
    stack = cdk.Stack(app, "Probe")
    role = cdk.aws_iam.Role(
        stack, "Role", assumed_by=cdk.aws_iam.ServicePrincipal("lambda.amazonaws.com")
    )
    policy = cdk.aws_iam.ManagedPolicy(
        stack,
        "Policy",
        roles=[role],
        statements=[
            cdk.aws_iam.PolicyStatement(
                sid="SendTraces", actions=["xray:PutTraceSegments"], resources=["*"]
            ),
            cdk.aws_iam.PolicyStatement(
                sid="ReadOneObject",
                actions=["s3:GetObject"],
                resources=["arn:aws:s3:::bucket/key.csv"],
            ),
        ],
    )
    acknowledge_wildcard_resources(policy, reasons)
    return app


def test_wildcard_resources_are_acknowledged_per_finding_with_their_statements_reason():
    reason = "X-Ray PutTraceSegments has no resource-level permissions (service authorization)."
    app = _policy_app({"SendTraces": reason})
    app.synth()
    records = acknowledgment_register(app)
    assert [(r.rule, r.resource_path, r.reason) for r in records] == [
        ("AwsSolutions-IAM5[Resource::*]", "Probe/Policy/Resource", reason)
    ]


def test_a_wildcard_resource_without_a_reason_fails_synth_naming_its_statement():
    app = _policy_app({})
    with pytest.raises(Exception, match=r"statement 'SendTraces' .* has no documented reason"):
        app.synth()
