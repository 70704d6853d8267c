"""The compliance register: every acknowledged cdk-nag finding and each pack's result.

Sources, both written by synth: ``acknowledgment-register.json`` (rule, construct path, reason:
what the platform accepted and why) and cdk-nag's ``validation-report.json`` (per pack: the
violations left and the suppressed ones). A pack that found nothing is absent from the report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .assembly import CloudAssembly

# The packs app.py registers (stacks/compliance.py PACKS; a test keeps the two equal). Pack names
# contain no "-", so a rule id splits at its first one.
PLATFORM_PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321", "Serverless")
_RULE = re.compile(r"^(?P<pack>[^-]+)-(?P<rule>[^\[]+)(\[(?P<finding>.*)\])?$")
ENCRYPTION_RULE = re.compile(r"(?i)encrypt|kms|sse")


@dataclass(frozen=True)
class Acknowledgment:
    pack: str
    rule: str  # the rule without its pack: "IAM5", "S3DefaultEncryptionKMS"
    finding: str  # the finding within the rule ("Resource::*"), "" for the whole rule
    rule_id: str  # as acknowledged: "AwsSolutions-IAM5[Resource::*]"
    construct_path: str
    resource_address: str | None  # <stack>/<logical id> when the path maps to a resource
    resource_type: str | None
    reason: str
    in_report: bool  # cdk-nag reported this finding as suppressed by this acknowledgment


@dataclass(frozen=True)
class PackResult:
    pack: str
    in_report: bool  # False: the pack found nothing at all
    conclusion: str
    unacknowledged: int  # findings left: synth fails on any
    acknowledged: int
    failing_rules: tuple[str, ...]

    @property
    def status(self) -> str:
        if self.unacknowledged:
            return "FAIL"
        return "pass (with acknowledgments)" if self.acknowledged else "pass (clean)"


@dataclass(frozen=True)
class ComplianceRegister:
    acknowledgments: tuple[Acknowledgment, ...]
    packs: tuple[PackResult, ...]
    report_present: bool
    register_present: bool

    def for_resource(self, address: str) -> list[Acknowledgment]:
        return [ack for ack in self.acknowledgments if ack.resource_address == address]

    @property
    def stale(self) -> list[Acknowledgment]:
        """Acknowledgments cdk-nag no longer needed: the finding they accept is gone."""
        return [ack for ack in self.acknowledgments if self.report_present and not ack.in_report]


def split_rule_id(rule_id: str) -> tuple[str, str, str]:
    """``"AwsSolutions-IAM5[Resource::*]"`` -> ``("AwsSolutions", "IAM5", "Resource::*")``."""
    match = _RULE.match(rule_id)
    if not match:
        raise ValueError(f"{rule_id!r} is not a cdk-nag rule id (<pack>-<rule>[finding])")
    return match["pack"], match["rule"], match["finding"] or ""


def _suppressed_index(report: Mapping[str, Any] | None) -> set[tuple[str, str]]:
    """(rule id, acknowledged-at construct path) of every suppressed violation."""
    index: set[tuple[str, str]] = set()
    for plugin in (report or {}).get("pluginReports", []):
        for violation in plugin.get("suppressedViolations", []):
            rule_id = str(violation.get("acknowledgedId", "")).split("::", 1)[-1]
            index.add((rule_id, str(violation.get("acknowledgedAt", ""))))
    return index


def _pack_results(report: Mapping[str, Any] | None) -> tuple[PackResult, ...]:
    plugins = {
        plugin.get("pluginName"): plugin for plugin in (report or {}).get("pluginReports", [])
    }
    names = list(PLATFORM_PACKS) + sorted(set(plugins) - set(PLATFORM_PACKS))
    results = []
    for name in names:
        plugin = plugins.get(name)
        if plugin is None:
            results.append(PackResult(name, False, "no findings", 0, 0, ()))
            continue

        def count(violations: list[Mapping[str, Any]]) -> int:
            return sum(max(1, len(v.get("violatingConstructs", []))) for v in violations)

        violations = plugin.get("violations", [])
        results.append(
            PackResult(
                pack=name,
                in_report=True,
                conclusion=str(plugin.get("conclusion", "")),
                unacknowledged=count(violations),
                acknowledged=count(plugin.get("suppressedViolations", [])),
                failing_rules=tuple(sorted({str(v.get("ruleName")) for v in violations})),
            )
        )
    return tuple(results)


def build_register(assembly: CloudAssembly) -> ComplianceRegister:
    suppressed = _suppressed_index(assembly.validation_report)
    acknowledgments = []
    for row in assembly.acknowledgments or []:
        try:
            rule_id, path, reason = row["rule"], row["resource_path"], row["reason"]
        except KeyError as error:
            raise ValueError(f"acknowledgment-register.json: entry {row!r} lacks {error}") from None
        pack, rule, finding = split_rule_id(rule_id)
        resource = assembly.by_construct_path(path)
        acknowledgments.append(
            Acknowledgment(
                pack=pack,
                rule=rule,
                finding=finding,
                rule_id=rule_id,
                construct_path=path,
                resource_address=resource.address if resource else None,
                resource_type=resource.type if resource else None,
                reason=reason,
                in_report=(rule_id, path) in suppressed,
            )
        )
    return ComplianceRegister(
        acknowledgments=tuple(acknowledgments),
        packs=_pack_results(assembly.validation_report),
        report_present=assembly.validation_report is not None,
        register_present=assembly.acknowledgments is not None,
    )
