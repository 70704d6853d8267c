"""The Studio domain of prod: VPC-only in the isolated subnets, data key, exact rules and role."""

from __future__ import annotations

import json
from typing import Any

from stacks.config import cdk_json_context, parse_stage_config
from tests.infra.helpers import logical_id, resources_of_type

from .conftest import STAFFED_IDLE_MINUTES, STAFFED_PROFILES


def _template(stage) -> dict[str, Any]:
    return stage.template(stage.platform.workspace)  # type: ignore[no-any-return]


def _one(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (resource,) = resources_of_type(template, resource_type).values()
    return resource["Properties"]  # type: ignore[no-any-return]


def _export_of(stage, stack, construct, attribute: str) -> str:
    """The export name under which ``stack`` publishes ``construct``'s attribute."""
    template = stage.template(stack)
    target = logical_id(construct)
    for output in template["Outputs"].values():
        value = output["Value"]
        if value in ({"Ref": target}, {"Fn::GetAtt": [target, attribute]}):
            return output["Export"]["Name"]  # type: ignore[no-any-return]
    raise AssertionError(f"{target}.{attribute} is not exported by {stack.stack_name}")


def _import(stage, stack, construct, attribute: str = "Ref") -> dict[str, str]:
    return {"Fn::ImportValue": _export_of(stage, stack, construct, attribute)}


def test_dev_has_no_workspace_and_prod_has_one(dev, prod):
    stages = cdk_json_context()["ml-platform:stages"]
    assert parse_stage_config("dev", stages).workspace.enabled is False
    assert dev.platform.workspace is None
    assert not any(
        resource["Type"].startswith("AWS::SageMaker::Domain")
        for _, template in dev.templates()
        for resource in template["Resources"].values()
    )
    assert prod.platform.workspace in prod.platform.stacks
    # After the data and network stacks it imports from
    names = [stack.stack_name for stack in prod.platform.stacks]
    assert names.index("MlPlatform-prod-Workspace") > names.index("MlPlatform-prod-Network")


def test_domain_is_vpc_only_in_the_isolated_subnets_with_the_data_key(prod):
    domain = _one(_template(prod), "AWS::SageMaker::Domain")
    network, data = prod.platform.network, prod.platform.data
    assert domain["AppNetworkAccessType"] == "VpcOnly"
    assert domain["AuthMode"] == "IAM"
    assert domain["VpcId"] == _import(prod, network, network.vpc)
    subnets = [_import(prod, network, subnet) for subnet in network.subnets]
    assert sorted(domain["SubnetIds"], key=str) == sorted(subnets, key=str)
    assert len(subnets) == 2
    assert domain["KmsKeyId"] == _import(prod, data, data.keys.data, "Arn")
    assert domain["KmsKeyId"] != _import(prod, data, data.keys.platform, "Arn")
    assert domain["DomainSettings"] == {"DockerSettings": {"EnableDockerAccess": "DISABLED"}}


def test_domain_and_profiles_are_retained(staffed_prod):
    template = _template(staffed_prod)
    for kind in ("AWS::SageMaker::Domain", "AWS::SageMaker::UserProfile"):
        for resource in resources_of_type(template, kind).values():
            assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"


def test_users_get_the_role_the_group_and_idle_shutdown(prod):
    template = _template(prod)
    settings = _one(template, "AWS::SageMaker::Domain")["DefaultUserSettings"]
    workspace = prod.platform.workspace
    assert settings["ExecutionRole"] == {
        "Fn::GetAtt": [logical_id(workspace.execution_role), "Arn"]
    }
    assert settings["SecurityGroups"] == [
        {"Fn::GetAtt": [logical_id(workspace.security_group), "GroupId"]}
    ]
    assert settings["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"] == {
        "LifecycleManagement": "ENABLED",
        "IdleTimeoutInMinutes": 60,
        "MinIdleTimeoutInMinutes": 60,
        "MaxIdleTimeoutInMinutes": 60,
    }


def test_idle_shutdown_and_profiles_come_from_the_config(staffed_prod):
    template = _template(staffed_prod)
    idle = _one(template, "AWS::SageMaker::Domain")["DefaultUserSettings"]["JupyterLabAppSettings"]
    assert idle["AppLifecycleManagement"]["IdleSettings"]["IdleTimeoutInMinutes"] == 180
    assert idle["AppLifecycleManagement"]["IdleSettings"]["MaxIdleTimeoutInMinutes"] == 180
    assert STAFFED_IDLE_MINUTES == 180
    domain = {"Fn::GetAtt": [logical_id(staffed_prod.platform.workspace.domain), "DomainId"]}
    profiles = resources_of_type(template, "AWS::SageMaker::UserProfile").values()
    assert sorted(p["Properties"]["UserProfileName"] for p in profiles) == sorted(STAFFED_PROFILES)
    # Each profile: its own role (tests/workspace/test_workspace_role.py) and the domain's
    # group; the rest (idle shutdown) is the domain's
    group = {"Fn::GetAtt": [logical_id(staffed_prod.platform.workspace.security_group), "GroupId"]}
    for profile in profiles:
        properties = dict(profile["Properties"])
        assert {tag["Key"] for tag in properties.pop("Tags")} >= {"project", "stage"}
        settings = properties.pop("UserSettings")
        assert properties == {"DomainId": domain, "UserProfileName": properties["UserProfileName"]}
        assert set(settings) == {"ExecutionRole", "SecurityGroups"}
        assert settings["SecurityGroups"] == [group]


def test_prod_as_configured_has_no_user_profile(prod):
    assert resources_of_type(_template(prod), "AWS::SageMaker::UserProfile") == {}


def test_the_staffed_variant_passes_every_compliance_pack(staffed_prod):
    report = json.loads((staffed_prod.directory / "validation-report.json").read_text())
    assert [p["pluginName"] for p in report["pluginReports"] if p.get("violations")] == []
