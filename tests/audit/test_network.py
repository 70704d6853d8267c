"""Network exposure on hand-written resources, and the real app's buckets."""

from __future__ import annotations

from pathlib import Path

from tests.audit.builders import json_join, ref, resource, write_assembly
from tools.audit.assembly import load_assembly
from tools.audit.intrinsics import Resolver
from tools.audit.network import Exposure, network_exposure
from tools.audit.report import Audit

STACK = "S-dev-Net"


def _exposures(
    tmp_path: Path, resources: dict[str, dict[str, object]]
) -> dict[str, list[Exposure]]:
    directory = write_assembly(tmp_path, {STACK: {"Resources": resources}})
    assembly = load_assembly(directory)
    found: dict[str, list[Exposure]] = {}
    for exposure in network_exposure(assembly, Resolver(assembly)):
        found.setdefault(exposure.resource.logical_id, []).append(exposure)
    return found


def test_public_and_outside_vpc_resources(tmp_path: Path) -> None:
    steps = [
        {"Name": "Prep", "Type": "Processing", "Arguments": {}},
        {
            "Name": "Train",
            "Type": "Training",
            "Arguments": {"VpcConfig": {"Subnets": ["@SUBNET@"]}},
        },
    ]
    found = _exposures(
        tmp_path,
        {
            "Open1": resource(
                "AWS::EC2::SecurityGroup",
                SecurityGroupIngress=[
                    {"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
                ],
            ),
            "Closed1": resource(
                "AWS::EC2::SecurityGroup",
                SecurityGroupIngress=[
                    {"CidrIp": "10.0.0.0/16", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
                ],
            ),
            "Bucket1": resource("AWS::S3::Bucket"),
            "Function1": resource("AWS::Lambda::Function"),
            "InVpc1": resource("AWS::Lambda::Function", VpcConfig={"SubnetIds": ["s"]}),
            "Url1": resource(
                "AWS::Lambda::Url", AuthType="NONE", TargetFunctionArn=ref("Function1")
            ),
            "Topic1": resource("AWS::SNS::Topic"),
            "TopicPolicy1": resource(
                "AWS::SNS::TopicPolicy",
                Topics=[ref("Topic1")],
                PolicyDocument={
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "sns:Publish",
                            "Resource": ref("Topic1"),
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}
                            },
                        }
                    ]
                },
            ),
            "Pipeline1": resource(
                "AWS::SageMaker::Pipeline",
                PipelineDefinition={
                    "PipelineDefinitionBody": json_join({"Steps": steps}, {"@SUBNET@": "subnet-1"})
                },
            ),
        },
    )
    assert [(e.severity, e.kind) for e in found["Open1"]] == [("high", "open ingress")]
    assert "Closed1" not in found
    assert [(e.severity, e.kind) for e in found["Bucket1"]] == [
        ("high", "public access not blocked")
    ]
    assert [e.severity for e in found["Function1"]] == ["medium"]
    assert "InVpc1" not in found
    assert [(e.severity, e.kind) for e in found["Url1"]] == [("high", "function URL")]
    assert [(e.severity, e.kind) for e in found["Topic1"]] == [
        ("info", "'*' principal, restricted")
    ]
    [job] = found["Pipeline1"]  # Prep has no VPC, Train has one
    assert job.severity == "medium" and "step Prep" in job.detail


def test_the_real_apps_buckets_are_private(stage_audit: Audit) -> None:
    buckets = {r.address for r in stage_audit.assembly.resources_of_type("AWS::S3::Bucket")}
    assert [e for e in stage_audit.network if e.resource.address in buckets] == []
    assert [e for e in stage_audit.network if e.kind == "public policy"] == []
