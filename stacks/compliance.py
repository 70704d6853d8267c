"""The compliance gate: cdk-nag packs on the whole app, and the only way to acknowledge a finding.

Synth fails on any finding that is not acknowledged. An acknowledgment covers one finding on
one resource and carries the evidence that makes it right; ``acknowledgment_register`` lists
them all for auditors.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

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
