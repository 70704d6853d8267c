"""Run every analysis over one assembly and lay the results out as one document."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from .access import BUCKET_SCOPE, KEY_SCOPE, AccessMatrix, Grant, Principal, build_matrix
from .assembly import CloudAssembly, load_assembly
from .compliance import ComplianceRegister, build_register
from .cost import ASSUMPTIONS, DEFAULT_PRICES, CostEstimate, format_usd, idle_cost, load_prices
from .diagram import Diagram, architecture_diagram
from .encryption import EncryptedItem, encryption_at_rest
from .intrinsics import TOKEN, Resolver
from .inventory import InventoryRow, inventory
from .keys import KeyCatalog
from .network import Exposure, network_exposure
from .render import Bullets, Document, Figure, Heading, Paragraph, Table

DIAGRAM_FILE = "architecture.svg"
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
_S3_LETTERS = {"read": "R", "write": "W", "delete": "D", "list": "L", "administer": "A"}
_KMS_LETTERS = {"decrypt": "Dec", "encrypt": "Enc", "grant": "Grant", "administer": "Admin"}


@dataclass(frozen=True)
class Audit:
    assembly: CloudAssembly
    inventory: list[InventoryRow]
    encryption: list[EncryptedItem]
    access: AccessMatrix
    network: list[Exposure]
    compliance: ComplianceRegister
    cost: CostEstimate
    diagram: Diagram

    @property
    def stage(self) -> str:
        return self.assembly.stage


def run_audit(assembly_dir: Path | str, prices: Path = DEFAULT_PRICES) -> Audit:
    assembly = load_assembly(assembly_dir)
    resolver = Resolver(assembly)
    keys = KeyCatalog(assembly, resolver)
    register = build_register(assembly)
    encryption = encryption_at_rest(assembly, resolver, keys, register)
    matrix = build_matrix(assembly, resolver, keys)
    student_data = {b.address for b in matrix.buckets if b.holds_student_data} | {
        k.address for k in matrix.keys if k.holds_student_data
    }
    return Audit(
        assembly=assembly,
        inventory=inventory(assembly),
        encryption=encryption,
        access=matrix,
        network=network_exposure(assembly, resolver),
        compliance=register,
        cost=idle_cost(assembly, resolver, load_prices(prices)),
        diagram=architecture_diagram(assembly, resolver, student_data),
    )


# --- helpers ------------------------------------------------------------------------------------
def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def _principal(audit: Audit, principal: Principal) -> str:
    trusted = audit.access.assumed_by.get(principal)
    suffix = f" (assumed by {', '.join(trusted)})" if trusted else ""
    kind = "" if principal.kind in ("account", "everyone") else f"{principal.kind} "
    return f"{kind}{principal.label}{suffix}"


def _target_label(audit: Audit, address: str) -> str:
    for bucket in audit.access.buckets:
        if bucket.address == address:
            return f"bucket {bucket.label}"
    for key in audit.access.keys:
        if key.address == address:
            return f"key {key.label}"
    return address


def _cell(grants: list[Grant], letters: dict[str, str]) -> str:
    parts = []
    for access, letter in letters.items():
        scopes = sorted({g.scope for g in grants if g.access == access})
        if not scopes:
            continue
        conditional = "†" if any(g.conditions for g in grants if g.access == access) else ""
        shown = [s for s in scopes if s not in (BUCKET_SCOPE, KEY_SCOPE)]
        parts.append(
            f"{letter}{conditional}" + (f" {', '.join(_code(s) for s in shown)}" if shown else "")
        )
    return "\n".join(parts)


# --- sections -----------------------------------------------------------------------------------
def _summary(audit: Audit) -> list[Any]:
    flags = Counter(flag.severity for flag in audit.access.flags)
    exposures = Counter(e.severity for e in audit.network)
    unencrypted = [item for item in audit.encryption if item.flagged]
    failing = [p.pack for p in audit.compliance.packs if p.unacknowledged]
    readers = {r.principal for r in audit.access.student_data_readers() if r.can_decrypt}
    resources = sum(row.count for row in audit.inventory)
    unpriced = len(audit.cost.unpriced)
    lines = [
        f"Stage `{audit.stage}`: {len(audit.assembly.stacks)} stacks, {resources} resources "
        f"(cloud assembly `{audit.assembly.directory}`).",
        f"Idle cost: {format_usd(audit.cost.total)} per month"
        + (f", plus {unpriced} resources the price table cannot price" if unpriced else "")
        + ".",
        f"Principals that can read student data (S3 read and KMS decrypt): {len(readers)}.",
        f"Access flags: {flags['high']} high, {flags['medium']} medium, {flags['low']} low.",
        f"Data not under a customer-managed key: {len(unencrypted)} item(s).",
        f"Network exposure: {exposures['high']} high, {exposures['medium']} medium, "
        f"{exposures['info']} informational.",
        "Compliance: "
        + (f"FAILING packs: {', '.join(failing)}" if failing else "every pack passes")
        + f"; {len(audit.compliance.acknowledgments)} acknowledged findings"
        + (f", {len(audit.compliance.stale)} stale" if audit.compliance.stale else "")
        + ".",
    ]
    return [Bullets(lines)]


def _inventory_section(audit: Audit) -> list[Any]:
    rows = [
        [row.stack, _code(row.type), str(row.count), ", ".join(r.logical_id for r in row.resources)]
        for row in audit.inventory
    ]
    per_stack = Counter[str]()
    for row in audit.inventory:
        per_stack[row.stack] += row.count
    totals = ", ".join(f"{stack}: {count}" for stack, count in per_stack.items())
    return [
        Heading(1, "1. Inventory"),
        Paragraph(f"Resources per stack: {totals}."),
        Table(["Stack", "Type", "Count", "Logical ids"], rows),
    ]


def _encryption_section(audit: Audit) -> list[Any]:
    rows = []
    for item in sorted(
        audit.encryption, key=lambda i: (not i.flagged, i.resource.stack, i.resource.name)
    ):
        status = "FLAG: " + item.use.kind.value if item.flagged else "customer-managed key"
        rows.append(
            [
                item.resource.name,
                item.resource.stack,
                _code(item.resource.type),
                item.item,
                item.use.label,
                status,
                "; ".join(filter(None, [item.note, *item.acknowledged])) or "",
            ]
        )
    flagged = sum(1 for item in audit.encryption if item.flagged)
    return [
        Heading(1, "2. Encryption at rest"),
        Paragraph(
            f"{len(audit.encryption)} data items in "
            f"{len({i.resource.address for i in audit.encryption})} data-holding resources; "
            f"{flagged} not under one of this assembly's customer-managed keys (flagged, with the "
            "acknowledged reason where there is one)."
        ),
        Table(
            ["Resource", "Stack", "Type", "Data", "Key", "Status", "Note / acknowledged reason"],
            rows,
        ),
    ]


def _access_section(audit: Audit) -> list[Any]:
    matrix = audit.access
    blocks: list[Any] = [Heading(1, "3. Access matrix: who can read student data")]
    blocks.append(
        Paragraph(
            "Derived from identity policies (inline, attached and managed policies in the "
            "templates), bucket policies and key policies together. A KMS grant in an identity "
            "policy counts only where the key policy delegates that action to the account. "
            "Explicit denies are applied; conditions are shown, not evaluated. In ARNs and "
            "conditions, <name> is a resource of this assembly and <account> / <region> the "
            "deployment's account and region (the stacks are environment-agnostic)."
        )
    )
    readers = matrix.student_data_readers()
    blocks.append(Heading(2, "Who can read student data"))
    if readers:
        blocks.append(
            Table(
                ["Principal", "Bucket", "Prefixes", "Can decrypt its key", "Conditions"],
                [
                    [
                        _principal(audit, r.principal),
                        r.bucket.label,
                        ", ".join(_code(s) for s in r.scopes),
                        "yes" if r.can_decrypt else "no: S3 read alone returns no plaintext",
                        r.conditions,
                    ]
                    for r in readers
                ],
            )
        )
    else:
        blocks.append(Paragraph("No principal in the templates can read a student-data bucket."))
    blocks.append(
        Paragraph(
            "Student data: the buckets under the key whose alias ends in `/data`. Outside the "
            "templates, any IAM principal of the account whose own policies grant S3 read and "
            "`kms:Decrypt` on that key could also read (the key policy delegates use to IAM)."
        )
    )
    blocks.append(Heading(2, "Flags"))
    flags = sorted(
        matrix.flags, key=lambda f: (_SEVERITY_ORDER[f.severity], f.rule, f.principal.label)
    )
    blocks.append(
        Table(
            ["Severity", "Rule", "Principal", "Resource", "Detail"],
            [
                [
                    f.severity,
                    f.rule,
                    _principal(audit, f.principal),
                    _target_label(audit, f.target) if f.target else "",
                    f.detail,
                ]
                for f in flags
            ],
        )
        if flags
        else Paragraph("No access flags.")
    )
    blocks.append(Heading(2, "Matrix"))
    blocks.append(
        Paragraph(
            "Buckets: R read, W write, D delete, L list, A administer, followed by the object-key "
            "patterns reached. Keys: Dec decrypt, Enc encrypt, Grant create grants, Admin "
            "administer. † the grant carries conditions (see the detail below)."
        )
    )
    targets = [
        (b.address, f"{b.label}{' (student data)' if b.holds_student_data else ''}", _S3_LETTERS)
        for b in matrix.buckets
    ]
    targets += [
        (k.address, f"key {k.key.aliases[0] if k.key.aliases else k.address}", _KMS_LETTERS)
        for k in matrix.keys
    ]
    rows = []
    for principal in matrix.principals:
        cells = [_cell(matrix.cell(principal, address), letters) for address, _, letters in targets]
        if any(cells):
            rows.append([_principal(audit, principal), *cells])
    blocks.append(Table(["Principal", *[label for _, label, _ in targets]], rows))
    silent = [p for p in matrix.principals if not any(matrix.cell(p, a) for a, _, _ in targets)]
    if silent:
        blocks.append(
            Paragraph(
                "No access to these buckets or keys: "
                + ", ".join(_principal(audit, p) for p in silent)
                + "."
            )
        )
    blocks.append(Heading(2, "Grants in detail"))
    detail = sorted(matrix.grants, key=lambda g: (g.principal.label, g.target, g.access, g.scope))
    blocks.append(
        Table(
            [
                "Principal",
                "Resource",
                "Access",
                "Scope",
                "Actions",
                "Via",
                "Conditions",
                "Effective",
            ],
            [
                [
                    _principal(audit, g.principal),
                    _target_label(audit, g.target),
                    g.access,
                    _code(g.scope),
                    ", ".join(_code(a) for a in g.actions),
                    g.via,
                    g.conditions,
                    "yes" if g.effective else f"no: {g.note}",
                ]
                for g in detail
            ],
        )
    )
    blocks.append(Heading(2, "Explicit denies with conditions"))
    grouped: dict[tuple[str, str, str, str], list[str]] = {}
    for deny in matrix.denies:
        key = (_target_label(audit, deny.target), deny.principal.label, deny.via, deny.conditions)
        grouped.setdefault(key, [])
        if deny.access not in grouped[key]:
            grouped[key].append(deny.access)
    blocks.append(
        Table(
            ["Resource", "Denied to", "Access denied", "When", "Via"],
            [
                [target, who, ", ".join(accesses), when, via]
                for (target, who, via, when), accesses in grouped.items()
            ],
        )
        if grouped
        else Paragraph("No conditional denies.")
    )
    return blocks


def _network_section(audit: Audit) -> list[Any]:
    blocks: list[Any] = [Heading(1, "4. Network exposure")]
    if not audit.network:
        blocks.append(
            Paragraph("Nothing public and nothing reachable from outside a VPC was found.")
        )
        return blocks
    blocks.append(
        Table(
            ["Severity", "Resource", "Stack", "Exposure", "Detail"],
            [
                [e.severity, e.resource.name, e.resource.stack, e.kind, e.detail]
                for e in audit.network
            ],
        )
    )
    return blocks


def _compliance_section(audit: Audit) -> list[Any]:
    register = audit.compliance
    blocks: list[Any] = [Heading(1, "5. Compliance register")]
    if not register.report_present:
        blocks.append(Paragraph("validation-report.json is missing: the pack results are unknown."))
    blocks.append(
        Table(
            ["Pack", "Result", "Unacknowledged findings", "Acknowledged findings", "Failing rules"],
            [
                [
                    p.pack,
                    p.status,
                    str(p.unacknowledged),
                    str(p.acknowledged),
                    ", ".join(p.failing_rules),
                ]
                for p in register.packs
            ],
        )
    )
    blocks.append(Paragraph("A pack absent from cdk-nag's report found nothing: it passes clean."))
    blocks.append(Heading(2, "Acknowledged findings"))
    blocks.append(
        Table(
            ["Pack", "Rule", "Finding", "Resource", "Reason"],
            [
                [
                    a.pack,
                    a.rule,
                    _code(a.finding),
                    f"{a.construct_path}"
                    + (
                        f" ({a.resource_type}, {a.resource_address.split('/', 1)[1]})"
                        if a.resource_address
                        else ""
                    ),
                    a.reason
                    + (
                        ""
                        if a.in_report or not register.report_present
                        else " [STALE: no such finding]"
                    ),
                ]
                for a in register.acknowledgments
            ],
        )
        if register.acknowledgments
        else Paragraph("No acknowledgments.")
    )
    return blocks


def _cost_section(audit: Audit) -> list[Any]:
    cost = audit.cost
    table = cost.table
    blocks: list[Any] = [Heading(1, "6. Idle cost")]
    blocks.append(
        Paragraph(
            f"Monthly cost with no traffic, {table.region} list prices in {table.currency}: "
            f"{format_usd(cost.total)} in total"
            + (
                f", excluding {len(cost.unpriced)} unpriced resources (listed)"
                if cost.unpriced
                else ""
            )
            + "."
        )
    )
    blocks.append(
        Table(["Stack", "Monthly"], [[s, format_usd(v)] for s, v in cost.by_stack().items()])
    )
    charged = [line for line in cost.lines if line.monthly is None or line.monthly > 0]
    blocks.append(Heading(2, "Resources that cost money while idle"))
    blocks.append(
        Table(
            ["Resource", "Stack", "Type", "Quantity", "Price", "Monthly"],
            [
                [
                    line.resource.name,
                    line.resource.stack,
                    _code(line.resource.type),
                    line.quantity,
                    line.explanation,
                    format_usd(line.monthly),
                ]
                for line in charged
            ]
            + [["Total", "", "", "", "", format_usd(cost.total)]],
        )
    )
    free = Counter(
        (line.resource.type, line.explanation) for line in cost.lines if line.monthly == Decimal(0)
    )
    blocks.append(Heading(2, "Resources at $0 while idle"))
    blocks.append(
        Table(
            ["Type", "Count", "Why"],
            [[_code(t), str(n), why] for (t, why), n in sorted(free.items())],
        )
    )
    blocks.append(Heading(2, "Prices used"))
    used = sorted({price_id for line in cost.lines for price_id in line.price_ids})
    blocks.append(
        Table(
            ["Price", "USD", "Unit", "Source", "Checked", "Note"],
            [
                [_code(p.id), str(p.usd), p.unit, f"[{p.source}]({p.source})", p.checked, p.note]
                for p in (table.prices[i] for i in used)
            ],
        )
    )
    blocks.append(Heading(2, "Assumptions"))
    blocks.append(Bullets(list(ASSUMPTIONS)))
    return blocks


def _readable(audit: Audit) -> Callable[[str], str]:
    """Tokens made readable: ``{{ref:S|Raw123}}`` -> ``<Raw>``, ``{{account}}`` -> ``<account>``."""

    def name(match: re.Match[str]) -> str:
        resource = audit.assembly.resource(match["stack"], match["logical"])
        shown = resource.name if resource else match["logical"]
        return f"<{shown}{'.' + match['attr'] if match['attr'] else ''}>"

    def readable(text: str) -> str:
        text = TOKEN.sub(name, text)
        return re.sub(r"\{\{(account|region|unresolved:[^{}]*)\}\}", r"<\1>", text)

    return readable


def _apply(block: Any, readable: Callable[[str], str]) -> Any:
    if isinstance(block, Paragraph):
        return Paragraph(readable(block.text), block.css_class)
    if isinstance(block, Bullets):
        return Bullets([readable(item) for item in block.items])
    if isinstance(block, Table):
        rows = [[readable(cell) for cell in row] for row in block.rows]
        return Table([readable(h) for h in block.headers], rows, block.css_class)
    return block


def build_document(audit: Audit) -> Document:
    document = Document(f"Audit of ml-platform stage {audit.stage}")
    document.add(*_summary(audit))
    document.add(*_inventory_section(audit))
    document.add(*_encryption_section(audit))
    document.add(*_access_section(audit))
    document.add(*_network_section(audit))
    document.add(*_compliance_section(audit))
    document.add(*_cost_section(audit))
    document.add(
        Heading(1, "7. Architecture"),
        Paragraph(
            "Generated from the templates: stacks in deployment order, the resources worth "
            "drawing (policies, aliases and permissions are folded into what they attach to)."
        ),
        Figure(audit.diagram.svg, DIAGRAM_FILE, f"Architecture of stage {audit.stage}"),
    )
    readable = _readable(audit)
    document.blocks = [_apply(block, readable) for block in document.blocks]
    return document


def to_json(audit: Audit) -> dict[str, Any]:
    """The findings as data, for diffs between synths and for other tools."""
    return {
        "stage": audit.stage,
        "stacks": list(audit.assembly.stacks),
        "inventory": [
            {"stack": r.stack, "type": r.type, "logical_ids": [x.logical_id for x in r.resources]}
            for r in audit.inventory
        ],
        "encryption": [
            {
                "resource": i.resource.address,
                "type": i.resource.type,
                "item": i.item,
                "key": i.use.label,
                "kind": i.use.kind.value,
                "flagged": i.flagged,
                "note": i.note,
                "acknowledged": list(i.acknowledged),
            }
            for i in audit.encryption
        ],
        "access": {
            "grants": [
                {
                    "principal": g.principal.label,
                    "principal_id": g.principal.id,
                    "target": g.target,
                    "access": g.access,
                    "scope": g.scope,
                    "actions": list(g.actions),
                    "via": g.via,
                    "conditions": g.conditions,
                    "effective": g.effective,
                    "note": g.note,
                }
                for g in audit.access.grants
            ],
            "flags": [
                {
                    "severity": f.severity,
                    "rule": f.rule,
                    "principal": f.principal.label,
                    "target": f.target,
                    "detail": f.detail,
                }
                for f in audit.access.flags
            ],
        },
        "network": [
            {
                "severity": e.severity,
                "resource": e.resource.address,
                "kind": e.kind,
                "detail": e.detail,
            }
            for e in audit.network
        ],
        "compliance": {
            "packs": [
                {
                    "pack": p.pack,
                    "status": p.status,
                    "unacknowledged": p.unacknowledged,
                    "acknowledged": p.acknowledged,
                }
                for p in audit.compliance.packs
            ],
            "acknowledgments": [
                {
                    "rule": a.rule_id,
                    "resource": a.construct_path,
                    "reason": a.reason,
                    "in_report": a.in_report,
                }
                for a in audit.compliance.acknowledgments
            ],
        },
        "cost": {
            "currency": audit.cost.table.currency,
            "total": str(audit.cost.total),
            "lines": [
                {
                    "resource": line.resource.address,
                    "type": line.resource.type,
                    "monthly": None if line.monthly is None else str(line.monthly),
                    "quantity": line.quantity,
                    "prices": list(line.price_ids),
                    "explanation": line.explanation,
                }
                for line in audit.cost.lines
            ],
        },
    }
