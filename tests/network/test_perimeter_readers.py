"""The data perimeter locks out nothing of the platform: every role that may read student data
in prod belongs to a workload that runs inside the VPC, where reads come through the S3 endpoint.
Read from the served prod stage (endpoint, batch model and drift job included)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from stacks.compliance import write_acknowledgment_register
from tests.conftest import SynthesizedStage
from tests.infra.helpers import logical_id
from tools.audit.assembly import ACKNOWLEDGMENT_REGISTER
from tools.audit.report import Audit, run_audit


def _audit(stage: SynthesizedStage) -> Audit:
    register = stage.directory / ACKNOWLEDGMENT_REGISTER
    if not register.exists():
        write_acknowledgment_register(stage.app, register)
    return run_audit(stage.directory)


def _role(stack: str, reference: Any) -> str:
    """The audit's address of a same-stack role reference (Fn::GetAtt [<role>, Arn])."""
    logical, attribute = reference["Fn::GetAtt"]
    assert attribute == "Arn", reference
    return f"{stack}/{logical}"


def _joined(value: Any, stack: str) -> str:
    """A Fn::Join as text; a same-stack role ARN becomes <role:address>, anything else <ref>."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_joined(part, stack) for part in parts)
    if "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
        return f"<role:{_role(stack, value)}>"
    return "<ref>"


def _pipeline_jobs(stack: str, pipeline: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(role address, placement) of every job step of a SageMaker pipeline definition."""
    body = pipeline["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]
    for step in json.loads(_joined(body, stack))["Steps"]:
        arguments = step.get("Arguments", {})
        role = arguments.get("RoleArn", "")
        if not role.startswith("<role:"):
            continue
        vpc = arguments.get("VpcConfig") or arguments.get("NetworkConfig", {}).get("VpcConfig")
        placement = "vpc" if vpc and vpc["Subnets"] and vpc["SecurityGroupIds"] else "outside"
        yield role[len("<role:") : -1], f"{placement} ({step['Name']} step)"


def _placements(stage: SynthesizedStage) -> dict[str, set[str]]:
    """Role address -> where each workload that runs as the role is placed."""
    placed: dict[str, set[str]] = {}
    for stack, template in stage.templates():
        for resource in template["Resources"].values():
            kind, properties = resource["Type"], resource.get("Properties", {})
            if kind == "AWS::Lambda::Function":
                inside = bool(properties.get("VpcConfig", {}).get("SubnetIds"))
                found = [(_role(stack, properties["Role"]), inside, "function")]
            elif kind == "AWS::SageMaker::Model":
                inside = bool(properties.get("VpcConfig", {}).get("Subnets"))
                found = [(_role(stack, properties["ExecutionRoleArn"]), inside, "model")]
            elif kind == "AWS::SageMaker::Domain":
                inside = properties["AppNetworkAccessType"] == "VpcOnly"
                role = properties["DefaultUserSettings"]["ExecutionRole"]
                found = [(_role(stack, role), inside, "Studio domain")]
            elif kind == "AWS::SageMaker::UserProfile":
                domain_id, attribute = properties["DomainId"]["Fn::GetAtt"]
                assert attribute == "DomainId"
                domain = template["Resources"][domain_id]["Properties"]
                inside = domain["AppNetworkAccessType"] == "VpcOnly"
                role = properties["UserSettings"]["ExecutionRole"]
                found = [(_role(stack, role), inside, "Studio user profile")]
            elif kind == "AWS::SageMaker::Pipeline":
                for role, placement in _pipeline_jobs(stack, resource):
                    placed.setdefault(role, set()).add(placement)
                continue
            else:
                continue
            for role, inside, what in found:
                placed.setdefault(role, set()).add(f"{'vpc' if inside else 'outside'} ({what})")
    return placed


def _assert_every_reader_runs_inside_the_vpc(stage: SynthesizedStage) -> set[str]:
    readers = {
        reader.principal.id
        for reader in _audit(stage).access.student_data_readers()
        if reader.principal.kind == "role"
    }
    placements = _placements(stage)
    for role in sorted(readers):
        assert role in placements, f"{role} reads student data but runs no known workload"
        outside = sorted(p for p in placements[role] if not p.startswith("vpc"))
        assert not outside, f"{role} reads student data from outside the VPC: {outside}"
    return readers


def test_every_reader_of_student_data_runs_only_inside_the_vpc(served_prod):
    readers = _assert_every_reader_runs_inside_the_vpc(served_prod)
    # the validator, the three pipeline jobs, the batch model, the drift job and the workspace
    assert len(readers) >= 7, sorted(readers)


def test_studio_users_read_student_data_only_inside_the_vpc(staffed_prod):
    readers = _assert_every_reader_runs_inside_the_vpc(staffed_prod)
    workspace = staffed_prod.platform.workspace
    users = {f"{workspace.stack_name}/{logical_id(role)}" for role in workspace.user_roles.values()}
    assert len(users) == 2 and users <= readers
