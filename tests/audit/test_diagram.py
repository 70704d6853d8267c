"""The architecture diagram: well-formed SVG, the real app's resources and cross-stack edges."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tests.audit.builders import arn, join, policy, ref, resource, write_assembly
from tools.audit.assembly import load_assembly
from tools.audit.diagram import AGGREGATE_ABOVE, architecture_diagram
from tools.audit.intrinsics import Resolver
from tools.audit.report import Audit

SVG = "{http://www.w3.org/2000/svg}"


def test_the_svg_is_well_formed_and_labels_every_bucket(stage_audit: Audit) -> None:
    root = ET.fromstring(stage_audit.diagram.svg)
    assert root.tag == f"{SVG}svg"
    texts = {element.text for element in root.iter(f"{SVG}text")}
    for bucket in stage_audit.assembly.resources_of_type("AWS::S3::Bucket"):
        assert bucket.name in texts
    assert set(stage_audit.assembly.stacks) <= texts


def test_the_alerts_topic_points_at_the_platform_key_in_another_stack(stage_audit: Audit) -> None:
    [topic] = [
        r
        for r in stage_audit.assembly.resources_of_type("AWS::SNS::Topic")
        if r.name == "AlertsTopic"
    ]
    [key] = [k for k in stage_audit.access.keys if k.key.aliases[0].endswith("/platform")]
    assert (topic.address, key.address) in stage_audit.diagram.edges


def test_student_data_is_highlighted(stage_audit: Audit) -> None:
    highlighted = {node.label for node in stage_audit.diagram.nodes.values() if node.highlighted}
    assert {"Raw", "Curated", "Quarantine", "DataKey/Key"} <= highlighted
    assert "Artifacts" not in highlighted and "AccessLogs" not in highlighted


def test_policies_fold_into_their_roles_and_crowds_aggregate(tmp_path: Path) -> None:
    alarms = {
        f"Alarm{i}": resource("AWS::CloudWatch::Alarm", f"S-dev-B/Alarm{i}/Resource")
        for i in range(AGGREGATE_ABOVE + 1)
    }
    stack = {
        "Resources": {
            "Bucket1": resource("AWS::S3::Bucket", "S-dev-B/Bucket/Resource"),
            "Role1": resource("AWS::IAM::Role", "S-dev-B/Role/Resource"),
            "Policy1": resource(
                "AWS::IAM::Policy",
                "S-dev-B/Role/DefaultPolicy/Resource",
                Roles=[ref("Role1")],
                PolicyDocument=policy(
                    {
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": join(arn("Bucket1"), "/*"),
                    }
                ),
            ),
            **alarms,
        }
    }
    assembly = load_assembly(write_assembly(tmp_path, {"S-dev-B": stack}))
    diagram = architecture_diagram(assembly, Resolver(assembly))
    assert diagram.edges == [("S-dev-B/Role1", "S-dev-B/Bucket1")]
    assert "S-dev-B/Policy1" not in diagram.nodes
    [crowd] = [n for n in diagram.nodes.values() if n.type_label == "CloudWatch Alarm"]
    assert len(crowd.members) == AGGREGATE_ABOVE + 1 and crowd.label.startswith(
        f"{AGGREGATE_ABOVE + 1} x"
    )
