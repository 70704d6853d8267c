"""Readers of the ingestion stack's template, shared by the ingestion tests."""

from __future__ import annotations

from typing import Any

from stacks.config import StageConfig, cdk_json_context, parse_stage_config
from tests.infra.helpers import logical_id, resources_of_type


def stage_config(stage_name: str) -> StageConfig:
    return parse_stage_config(stage_name, cdk_json_context()["ml-platform:stages"])


def ingestion_template(stage: Any) -> dict[str, Any]:
    return stage.template(stage.platform.ingestion)


def resource(stage: Any, construct: Any) -> dict[str, Any]:
    """The template entry of one construct of the ingestion stack."""
    return ingestion_template(stage)["Resources"][logical_id(construct)]


def imported(stage: Any, construct: Any, attribute: str | None = None) -> dict[str, str]:
    """How the ingestion stack refers to a data-stack value: the import of its export."""
    target = logical_id(construct)
    value = {"Ref": target} if attribute is None else {"Fn::GetAtt": [target, attribute]}
    outputs = stage.template(stage.platform.data).get("Outputs", {})
    names = [o["Export"]["Name"] for o in outputs.values() if o["Value"] == value]
    assert len(names) == 1, f"the data stack exports {value} {len(names)} times"
    return {"Fn::ImportValue": names[0]}


def get_att(construct: Any, attribute: str = "Arn") -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id(construct), attribute]}


def ref(construct: Any) -> dict[str, str]:
    return {"Ref": logical_id(construct)}


def queue_policy(stage: Any, queue: Any) -> list[dict[str, Any]]:
    template = ingestion_template(stage)
    for policy in resources_of_type(template, "AWS::SQS::QueuePolicy").values():
        if policy["Properties"]["Queues"] == [ref(queue)]:
            return list(policy["Properties"]["PolicyDocument"]["Statement"])
    raise AssertionError(f"no queue policy for {logical_id(queue)}")


def policy_statements(stage: Any) -> dict[str, dict[str, Any]]:
    """The validator policy's statements by Sid (every statement has one)."""
    policy = resource(stage, stage.platform.ingestion.policy)
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {statement["Sid"]: statement for statement in statements}
    assert len(by_sid) == len(statements), "statement Sids must be unique"
    return by_sid
