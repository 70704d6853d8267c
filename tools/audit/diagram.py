"""Architecture diagram generated from the templates, as a self-contained SVG (no Graphviz).

Stacks are columns in deployment order; the resources worth drawing are boxes, colored by
category. Policies, aliases and permissions are not drawn: their references are drawn from what
they attach to (an IAM policy naming a bucket becomes an edge from its role to the bucket).
An edge ``A -> B`` means A refers to B (Ref, GetAtt, Fn::ImportValue, DependsOn).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .assembly import CloudAssembly, Resource
from .intrinsics import Resolver

CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    # category: (fill color, resource types)
    "keys and identities": (
        "#f6d5d5",
        ("AWS::KMS::Key", "AWS::IAM::Role", "AWS::IAM::User", "AWS::SecretsManager::Secret"),
    ),
    "storage": (
        "#d8e8f8",
        ("AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::ECR::Repository", "AWS::Logs::LogGroup"),
    ),
    "messaging and events": (
        "#fbe8c8",
        (
            "AWS::SNS::Topic",
            "AWS::SQS::Queue",
            "AWS::Events::Rule",
            "AWS::Events::EventBus",
            "AWS::Scheduler::Schedule",
        ),
    ),
    "compute": ("#dcefd6", ("AWS::Lambda::Function", "AWS::StepFunctions::StateMachine")),
    "machine learning": (
        "#e6dcf5",
        (
            "AWS::SageMaker::Pipeline",
            "AWS::SageMaker::ModelPackageGroup",
            "AWS::SageMaker::Model",
            "AWS::SageMaker::EndpointConfig",
            "AWS::SageMaker::Endpoint",
            "AWS::SageMaker::MonitoringSchedule",
            "AWS::SageMaker::DataQualityJobDefinition",
            "AWS::SageMaker::ModelQualityJobDefinition",
            "AWS::SageMaker::ModelBiasJobDefinition",
            "AWS::SageMaker::ModelExplainabilityJobDefinition",
        ),
    ),
    "monitoring": (
        "#e4e4e4",
        ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm", "AWS::CloudWatch::Dashboard"),
    ),
    "network": (
        "#d6f0ee",
        (
            "AWS::EC2::VPC",
            "AWS::EC2::VPCEndpoint",
            "AWS::EC2::SecurityGroup",
            "AWS::EC2::NatGateway",
        ),
    ),
}
_CATEGORY_OF = {t: name for name, (_, types) in CATEGORIES.items() for t in types}
_CATEGORY_ORDER = list(CATEGORIES)
# Resources drawn as part of what they attach to, and the property naming it.
ATTACHMENTS: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Policy": ("Roles", "Users", "Groups"),
    "AWS::IAM::ManagedPolicy": ("Roles", "Users", "Groups"),
    "AWS::IAM::RolePolicy": ("RoleName",),
    "AWS::S3::BucketPolicy": ("Bucket",),
    "AWS::SNS::TopicPolicy": ("Topics",),
    "AWS::SQS::QueuePolicy": ("Queues",),
    "AWS::KMS::Alias": ("TargetKeyId",),
    "AWS::Lambda::Permission": ("FunctionName",),
    "AWS::Lambda::EventSourceMapping": ("FunctionName",),
    "AWS::Lambda::EventInvokeConfig": ("FunctionName",),
    "AWS::SNS::Subscription": ("TopicArn",),
    "AWS::ApplicationAutoScaling::ScalableTarget": ("ResourceId",),
}
AGGREGATE_ABOVE = 6  # more resources of one type in one stack are drawn as one box

_BOX_W, _BOX_H, _GAP_Y = 220, 38, 12
_COL_GAP, _MARGIN, _HEADER = 110, 24, 56


@dataclass
class Node:
    id: str
    stack: str
    label: str
    type_label: str
    category: str
    members: list[str] = field(default_factory=list)  # resource addresses drawn by this box
    highlighted: bool = False
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True)
class Diagram:
    nodes: dict[str, Node]
    edges: list[tuple[str, str]]  # (from node id, to node id)
    svg: str


def type_label(resource_type: str) -> str:
    """``AWS::SageMaker::EndpointConfig`` -> ``SageMaker EndpointConfig``."""
    return " ".join(resource_type.split("::")[1:])


def _graph(
    assembly: CloudAssembly, resolver: Resolver, highlight: set[str]
) -> tuple[dict[str, Node], list[tuple[str, str]]]:
    drawn = [r for r in assembly.resources() if r.type in _CATEGORY_OF]
    node_of: dict[str, str] = {}
    nodes: dict[str, Node] = {}
    counts: dict[tuple[str, str], int] = {}
    for resource in drawn:
        counts[(resource.stack, resource.type)] = counts.get((resource.stack, resource.type), 0) + 1
    for resource in drawn:
        category = _CATEGORY_OF[resource.type]
        count = counts[(resource.stack, resource.type)]
        if count > AGGREGATE_ABOVE:
            node_id = f"{resource.stack}/{resource.type}"
            label = f"{count} x {type_label(resource.type).split(' ')[-1]}"
        else:
            node_id, label = resource.address, resource.name
        node = nodes.setdefault(
            node_id, Node(node_id, resource.stack, label, type_label(resource.type), category)
        )
        node.members.append(resource.address)
        node.highlighted = node.highlighted or resource.address in highlight
        node_of[resource.address] = node_id

    def owners(resource: Resource) -> list[str]:
        if resource.address in node_of:
            return [node_of[resource.address]]
        found = []
        for prop in ATTACHMENTS.get(resource.type, ()):
            for reference in resolver.references(resource.properties.get(prop), resource.stack):
                if reference.address in node_of:
                    found.append(node_of[reference.address])
        return found

    edges: list[tuple[str, str]] = []
    for resource in assembly.resources():
        sources = owners(resource)
        if not sources:
            continue
        targets: list[str] = []
        referred = [
            resolver.resource_of(reference)
            for reference in resolver.references(dict(resource.properties), resource.stack)
        ]
        referred += [assembly.resource(resource.stack, id_) for id_ in resource.depends_on]
        for found in referred:
            if found is not None:
                targets.extend(owners(found))
        for source in sources:
            for target_id in targets:
                if source != target_id and (source, target_id) not in edges:
                    edges.append((source, target_id))
    return nodes, edges


def _layout(assembly: CloudAssembly, nodes: dict[str, Node]) -> tuple[float, float]:
    height = 0.0
    for column, stack in enumerate(assembly.stacks):
        members = sorted(
            (n for n in nodes.values() if n.stack == stack),
            key=lambda n: (_CATEGORY_ORDER.index(n.category), n.type_label, n.label),
        )
        x = _MARGIN + column * (_BOX_W + _COL_GAP)
        for row, node in enumerate(members):
            node.x, node.y = x, _MARGIN + _HEADER + row * (_BOX_H + _GAP_Y)
        height = max(height, _MARGIN + _HEADER + len(members) * (_BOX_H + _GAP_Y))
    # The last column keeps room on its right for the arcs between its own boxes.
    width = _MARGIN * 2 + len(assembly.stacks) * (_BOX_W + _COL_GAP)
    legend = _MARGIN * 2 + sum(map(_legend_item_width, [*CATEGORIES, "holds student data"]))
    return max(width, legend), height + 70


def _legend_item_width(name: str) -> float:
    return 30 + 6.5 * len(name)


def _edge_path(source: Node, target: Node, index: int) -> str:
    """Same stack: an arc on the right. Other stacks: a curve between facing sides; boxes are
    drawn over edges, so an edge to a distant stack passes behind the stacks in between."""
    sy, ty = source.y + _BOX_H / 2, target.y + _BOX_H / 2
    if source.x == target.x:
        x = source.x + _BOX_W
        bulge = 30 + min(60.0, abs(ty - sy) / 6) + (index % 4) * 6
        return f"M{x},{sy} C{x + bulge},{sy} {x + bulge},{ty} {x + 4},{ty}"
    if target.x < source.x:
        sx, tx = source.x, target.x + _BOX_W + 4
    else:
        sx, tx = source.x + _BOX_W, target.x - 4
    middle = (sx + tx) / 2
    return f"M{sx},{sy} C{middle},{sy} {middle},{ty} {tx},{ty}"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_svg(
    assembly: CloudAssembly, nodes: dict[str, Node], edges: Iterable[tuple[str, str]]
) -> str:
    width, height = _layout(assembly, nodes)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif" '
        'role="img" aria-label="Architecture of the synthesized stacks">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#666"/></marker></defs>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    for column, stack in enumerate(assembly.stacks):
        x = _MARGIN + column * (_BOX_W + _COL_GAP)
        out.append(
            f'<rect x="{x - 8}" y="{_MARGIN}" width="{_BOX_W + 16}" '
            f'height="{height - _MARGIN - 60:.0f}" rx="8" fill="#fafafa" stroke="#bbbbbb" '
            'stroke-dasharray="4 3"/>'
        )
        out.append(
            f'<text x="{x + _BOX_W / 2}" y="{_MARGIN + 26}" text-anchor="middle" font-size="13" '
            f'font-weight="bold">{escape(_truncate(stack, 34))}</text>'
        )
    for index, (source, target) in enumerate(edges):
        span = abs(nodes[source].x - nodes[target].x) / (_BOX_W + _COL_GAP)
        # Edges to a stack further than the next one pass behind the boxes between: dashed.
        style = 'stroke="#777" stroke-dasharray="5 3"' if span > 1.5 else 'stroke="#888"'
        out.append(
            f"<g><title>{escape(nodes[source].label)} → {escape(nodes[target].label)}</title>"
            f'<path d="{_edge_path(nodes[source], nodes[target], index)}" fill="none" '
            f'{style} stroke-width="1" opacity="0.75" marker-end="url(#arrow)"/></g>'
        )
    for node in nodes.values():
        fill = CATEGORIES[node.category][0]
        stroke, stroke_width = ("#b00020", 2.5) if node.highlighted else ("#555555", 1)
        title = escape("\n".join(node.members))
        out.append(
            f'<g><title>{title}</title><rect x="{node.x}" y="{node.y}" width="{_BOX_W}" '
            f'height="{_BOX_H}" rx="5" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{stroke_width}"/><text x="{node.x + 8}" y="{node.y + 16}" '
            f'font-size="12">{escape(_truncate(node.label, 32))}</text>'
            f'<text x="{node.x + 8}" y="{node.y + 31}" font-size="10" fill="#444">'
            f"{escape(node.type_label)}</text></g>"
        )
    legend_y = height - 40
    legend_x = float(_MARGIN)
    items = [(name, fill, "#555", 1.0) for name, (fill, _) in CATEGORIES.items()]
    items.append(("holds student data", "#ffffff", "#b00020", 2.5))
    for name, fill, stroke, stroke_width in items:
        out.append(
            f'<rect x="{legend_x}" y="{legend_y}" width="14" height="14" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{stroke_width}"/>'
            f'<text x="{legend_x + 20}" y="{legend_y + 11}" font-size="11">{escape(name)}</text>'
        )
        legend_x += _legend_item_width(name)
    out.append(
        f'<text x="{_MARGIN}" y="{legend_y + 32}" font-size="10" fill="#444">'
        "An arrow A → B: A refers to B (Ref, GetAtt, ImportValue, DependsOn); dashed: to a stack "
        "further left or right than the next one, drawn behind the stacks between.</text>"
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def architecture_diagram(
    assembly: CloudAssembly, resolver: Resolver, highlight: Iterable[str] = ()
) -> Diagram:
    """``highlight``: addresses of resources holding student data (drawn with a red border)."""
    nodes, edges = _graph(assembly, resolver, set(highlight))
    return Diagram(nodes, edges, render_svg(assembly, nodes, edges))
