"""The compliance gate: cdk-nag packs on the whole app, and the only way to acknowledge a finding.

Synth fails on any finding that is not acknowledged. An acknowledgment covers one finding on
one resource and carries the evidence that makes it right; ``acknowledgment_register`` lists
them all for auditors.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag
import jsii
from aws_cdk import aws_iam as iam
from constructs import IConstruct, IValidation

# A rule id is "<pack>-<rule>", optionally with a finding: "AwsSolutions-IAM5[Action::s3:Get*]".
PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321", "Serverless")
_RULE_ID = re.compile(
    r"^(?P<pack>" + "|".join(re.escape(pack) for pack in PACKS) + r")-[A-Za-z0-9]+(\[.+\])?$"
)
_MIN_REASON_LENGTH = 40


def compliance_packs() -> list[cdk_nag.NagPack]:
    """The five packs the platform is held to."""
    return [
        cdk_nag.AwsSolutionsChecks(verbose=True),
        cdk_nag.HIPAASecurityChecks(verbose=True),
        cdk_nag.NIST80053R5Checks(verbose=True),
        cdk_nag.PCIDSS321Checks(verbose=True),
        cdk_nag.ServerlessChecks(verbose=True),
    ]


def register_compliance_packs(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(*compliance_packs())


def acknowledge(resource: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding (``rule_id``, optionally ``Rule[Finding]``) on one resource.

    ``resource`` must be the flagged resource itself (its L2 construct or the L1 child): never a
    stack or another scope that would silence the same rule on resources added later.
    """
    match = _RULE_ID.match(rule_id)
    if not match:
        raise ValueError(f"acknowledge: {rule_id!r} is not a rule id of the platform's packs")
    if len(reason.strip()) < _MIN_REASON_LENGTH:
        raise ValueError(
            f"acknowledge {rule_id}: the reason must state the evidence, got {reason!r}"
        )
    if isinstance(resource, cdk.Stack | cdk.Stage) or not _holds_one_resource(resource):
        raise ValueError(f"acknowledge {rule_id}: {resource.node.path} is not a single resource")
    # cdk-nag 3 matches acknowledgments as "<pack>::<rule id>".
    full_id = f"{match['pack']}::{rule_id}"
    cdk.Validations.of(resource).acknowledge(cdk.Acknowledgment(id=full_id, reason=reason))


def _holds_one_resource(construct: IConstruct) -> bool:
    """True for an L1 resource, or an L2 whose default child is the L1 it wraps."""
    if isinstance(construct, cdk.CfnResource):
        return True
    return isinstance(construct.node.default_child, cdk.CfnResource)


@dataclass(frozen=True)
class AcknowledgmentRecord:
    rule: str
    resource_path: str
    reason: str


def acknowledgment_register(scope: IConstruct) -> list[AcknowledgmentRecord]:
    """Every acknowledgment under ``scope``, in construct-tree order."""
    records: list[AcknowledgmentRecord] = []
    key = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    for construct in scope.node.find_all():
        for entry in construct.node.metadata:
            if entry.type != key:
                continue
            # data maps "<pack>::<rule id>" to the reason
            for full_id, reason in entry.data.items():
                records.append(
                    AcknowledgmentRecord(
                        rule=full_id.split("::", 1)[-1],
                        resource_path=construct.node.path,
                        reason=reason,
                    )
                )
    return records


def write_acknowledgment_register(scope: IConstruct, path: Path) -> None:
    """Write the register as JSON: one object per acknowledgment (rule, resource_path, reason)."""
    rows = [dataclasses.asdict(record) for record in acknowledgment_register(scope)]
    path.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


def flatten_reference(value: Any) -> str:
    """A resolved policy resource written the way cdk-nag names it in a finding.

    ``{"Fn::GetAtt": ["Role1", "Arn"]}`` -> ``<Role1.Arn>``; imports, joins and substitutions are
    flattened to their text, e.g. ``MlPlatform-dev-Data:ExportsOutput...Arn/validated/*``.
    """
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join":
            delimiter, parts = argument
            return delimiter.join(flatten_reference(part) for part in parts)
        if function in ("Fn::Sub", "Fn::ImportValue"):
            return flatten_reference(argument)
        if function == "Fn::GetAtt":
            return f"<{flatten_reference(argument[0])}.{flatten_reference(argument[1])}>"
        if function == "Ref":
            return f"<{flatten_reference(argument)}>"
    return json.dumps(value, separators=(",", ":"))


@jsii.implements(IValidation)
class _WildcardResourceAcknowledgments:
    """Acknowledge each ``AwsSolutions-IAM5`` wildcard-resource finding of one policy.

    cdk-nag names such a finding after the resolved resource, and a cross-stack ARN resolves to
    an export name that CDK chooses only while preparing the app. Construct validations run
    after that and before the compliance packs, so each exact finding is acknowledged here with
    the documented reason of its statement: never a blanket acknowledgment of the rule.
    """

    def __init__(self, policy: iam.ManagedPolicy, reasons_by_sid: Mapping[str, str]) -> None:
        self._policy = policy
        self._reasons_by_sid = dict(reasons_by_sid)

    def validate(self) -> list[str]:
        cfn_policy = self._policy.node.default_child
        assert isinstance(cfn_policy, iam.CfnManagedPolicy)
        document = cdk.Stack.of(cfn_policy).resolve(cfn_policy.policy_document)
        reasons_by_finding: dict[str, list[str]] = {}
        errors = []
        for statement in document["Statement"]:
            sid = statement.get("Sid", "")
            resources = statement["Resource"]
            for resource in resources if isinstance(resources, list) else [resources]:
                finding = flatten_reference(resource)
                if "*" not in finding:
                    continue
                reason = self._reasons_by_sid.get(sid)
                if reason is None:
                    errors.append(
                        f"statement {sid!r} of {self._policy.node.path} names the resource "
                        f"{finding!r} with '*' and has no documented reason"
                    )
                elif reason not in reasons_by_finding.setdefault(finding, []):
                    reasons_by_finding[finding].append(reason)
        for finding, reasons in reasons_by_finding.items():
            acknowledge(cfn_policy, f"AwsSolutions-IAM5[Resource::{finding}]", "; ".join(reasons))
        return errors


def acknowledge_wildcard_resources(
    policy: iam.ManagedPolicy, reasons_by_sid: Mapping[str, str]
) -> None:
    """Acknowledge the policy's ``*`` resources, each with the reason of its statement (by Sid).

    A statement with a ``*`` resource and no reason fails synth with a message naming it.
    """
    policy.node.add_validation(_WildcardResourceAcknowledgments(policy, reasons_by_sid))
