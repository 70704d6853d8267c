"""Every job, model and function runs in the isolated subnets when the stage has a network."""

from __future__ import annotations

import json

from tests.infra.helpers import resources_of_type

from .templates import network_ids, render, resolve_imports


def _validator(stage):
    template = stage.template(stage.platform.ingestion)
    (function,) = resources_of_type(template, "AWS::Lambda::Function").values()
    return function["Properties"]


def _pipeline_steps(stage):
    template = stage.template(stage.platform.pipeline)
    (pipeline,) = resources_of_type(template, "AWS::SageMaker::Pipeline").values()
    body = pipeline["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]
    return json.loads(render(body))["Steps"]


def _vpc_config(step):
    arguments = step["Arguments"]
    return arguments.get("VpcConfig") or arguments.get("NetworkConfig", {}).get("VpcConfig")


def _assert_in_workload_network(stage, subnets, groups):
    subnet_ids, group_ids = network_ids(stage)
    assert {logical for _, logical in resolve_imports(stage, subnets)} == subnet_ids
    assert {logical for _, logical in resolve_imports(stage, groups)} == group_ids


def _imports_of(rendered: list[str]):
    return [
        {"Fn::ImportValue": value.removeprefix("<import:").removesuffix(">")} for value in rendered
    ]


def test_no_vpc_anywhere_in_dev(dev):
    assert "VpcConfig" not in _validator(dev)
    jobs = [step for step in _pipeline_steps(dev) if step["Type"] in ("Processing", "Training")]
    assert jobs and all(_vpc_config(step) is None for step in jobs)


def test_the_validator_runs_in_the_isolated_subnets_in_prod(prod):
    vpc = _validator(prod)["VpcConfig"]
    _assert_in_workload_network(prod, vpc["SubnetIds"], vpc["SecurityGroupIds"])


def test_every_pipeline_job_runs_in_the_isolated_subnets_in_prod(prod):
    jobs = [step for step in _pipeline_steps(prod) if step["Type"] in ("Processing", "Training")]
    assert len(jobs) == 3  # preprocess, train, evaluate
    for step in jobs:
        vpc = _vpc_config(step)
        assert vpc is not None, step["Name"]
        _assert_in_workload_network(
            prod, _imports_of(vpc["Subnets"]), _imports_of(vpc["SecurityGroupIds"])
        )


def test_models_and_drift_job_run_in_the_isolated_subnets_in_prod(served_prod):
    serving = served_prod.template(served_prod.platform.serving)
    models = resources_of_type(serving, "AWS::SageMaker::Model").values()
    assert len(models) == 2  # the endpoint's model and the batch model
    for model in models:
        vpc = model["Properties"]["VpcConfig"]
        _assert_in_workload_network(served_prod, vpc["Subnets"], vpc["SecurityGroupIds"])

    monitoring = served_prod.template(served_prod.platform.monitoring)
    (pipeline,) = resources_of_type(monitoring, "AWS::SageMaker::Pipeline").values()
    body = pipeline["Properties"]["PipelineDefinition"]["PipelineDefinitionBody"]
    (step,) = json.loads(render(body))["Steps"]
    vpc = _vpc_config(step)
    _assert_in_workload_network(
        served_prod, _imports_of(vpc["Subnets"]), _imports_of(vpc["SecurityGroupIds"])
    )
