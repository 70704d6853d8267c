"""With a network, the pipeline role cannot create a job outside the platform's subnets."""

from __future__ import annotations

from tests.infra.helpers import logical_id, resources_of_type

from .templates import network_ids, resolve_imports

CREATE_JOB_ACTIONS = {"sagemaker:CreateProcessingJob", "sagemaker:CreateTrainingJob"}


def _create_job_conditions(stage):
    policy = stage.platform.pipeline.pipeline_role.node.path
    template = stage.template(stage.platform.pipeline)
    found = []
    for managed in resources_of_type(template, "AWS::IAM::ManagedPolicy").values():
        for statement in managed["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            actions = {actions} if isinstance(actions, str) else set(actions)
            if actions & CREATE_JOB_ACTIONS:
                assert actions <= CREATE_JOB_ACTIONS, statement  # nothing else rides along
                found.append(statement["Condition"])
    assert len(found) == 2, policy  # one statement per job type
    return found


def test_prod_jobs_must_name_only_the_platform_subnets_and_group(prod):
    subnet_ids, group_ids = network_ids(prod)
    for conditions in _create_job_conditions(prod):
        assert conditions["Null"] == {
            "sagemaker:VpcSubnets": "false",
            "sagemaker:VpcSecurityGroupIds": "false",
        }
        allowed = conditions["ForAllValues:StringEquals"]
        subnets = resolve_imports(prod, allowed["sagemaker:VpcSubnets"])
        groups = resolve_imports(prod, allowed["sagemaker:VpcSecurityGroupIds"])
        assert {logical for _, logical in subnets} == subnet_ids
        assert {logical for _, logical in groups} == group_ids
        # and still isolated and encrypted with the platform's keys
        assert conditions["Bool"]["sagemaker:NetworkIsolation"] == "true"
        assert set(conditions["ArnEquals"]) == {"sagemaker:VolumeKmsKey", "sagemaker:OutputKmsKey"}


def test_dev_jobs_have_no_vpc_conditions(dev):
    for conditions in _create_job_conditions(dev):
        assert "Null" not in conditions
        assert "ForAllValues:StringEquals" not in conditions


def test_the_drift_pipeline_can_only_create_its_job_in_the_platform_subnets(served_prod):
    drift = served_prod.platform.monitoring.drift
    template = served_prod.template(served_prod.platform.monitoring)
    policy = template["Resources"][logical_id(drift.pipeline_policy)]
    (statement,) = [
        statement
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Action"] == "sagemaker:CreateProcessingJob"
    ]
    conditions = statement["Condition"]
    assert conditions["Null"] == {
        "sagemaker:VpcSubnets": "false",
        "sagemaker:VpcSecurityGroupIds": "false",
    }
    subnet_ids, group_ids = network_ids(served_prod)
    allowed = conditions["ForAllValues:StringEquals"]
    assert {
        logical for _, logical in resolve_imports(served_prod, allowed["sagemaker:VpcSubnets"])
    } == (subnet_ids)
    assert {
        logical
        for _, logical in resolve_imports(served_prod, allowed["sagemaker:VpcSecurityGroupIds"])
    } == group_ids
