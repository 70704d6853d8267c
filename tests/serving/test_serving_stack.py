"""The serving stack in both modes: model, endpoint config, rollout, autoscaling, alarms, roles."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.infra.helpers import logical_id, resources_of_type

from .conftest import ServedStage, example_arn
from .helpers import actions, flat_resources, logical_id_of, only, policy_of_role

SKLEARN_REPOSITORY = "arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-scikit-learn"
ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
KEY_WRITE = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
OBJECT_WRITE = ["s3:AbortMultipartUpload", "s3:PutObject"]


def symbolic(served: ServedStage, value: str) -> str:
    """Replace the stand-in foundation's export names by readable labels (``{curated.arn}``)."""
    labels = {
        "artifacts": served.buckets.artifacts,
        "curated": served.buckets.curated,
        "data-key": served.keys.data,
        "platform-key": served.keys.platform,
    }
    for label, construct in labels.items():
        value = re.sub(
            rf"{served.foundation.stack_name}:ExportsOutput(FnGetAtt|Ref)"
            rf"{logical_id(construct)}(Arn)?[0-9A-F]{{8}}",
            lambda match, label=label: f"{{{label}.{'arn' if match[2] else 'ref'}}}",
            value,
        )
    return value


def statements(served: ServedStage, model: Any) -> dict[str, tuple[list[str], list[str]]]:
    template = served.template(served.serving)
    by_sid = policy_of_role(template, logical_id(model.role))
    return {
        sid: (actions(entry), [symbolic(served, r) for r in flat_resources(entry)])
        for sid, entry in by_sid.items()
    }


def runtime_statements(served: ServedStage) -> dict[str, tuple[list[str], list[str]]]:
    expected = {
        "ReadModelArtifacts": (["s3:GetObject"], ["{artifacts.arn}/models/*/output/model.tar.gz"]),
        "DecryptModelArtifacts": (["kms:Decrypt"], ["{platform-key.arn}"]),
        "PullModelImage": (ECR_PULL, [SKLEARN_REPOSITORY]),
        "AuthenticateToEcr": (["ecr:GetAuthorizationToken"], ["*"]),
    }
    return expected


def test_both_models_run_the_approved_package(served_stage):
    template = served_stage.template(served_stage.serving)
    models = resources_of_type(template, "AWS::SageMaker::Model")
    assert len(models) == 2, "the endpoint's model and the batch model"
    isolated = served_stage.config.serving.network_isolation
    for model in models.values():
        properties = model["Properties"]
        assert properties["Containers"] == [{"ModelPackageName": example_arn(served_stage.name)}]
        assert properties["EnableNetworkIsolation"] is isolated
        assert ("VpcConfig" in properties) is (served_stage.name == "qa")


def test_endpoint_config_encrypts_storage_with_the_data_key(served_stage):
    config = only(served_stage.template(served_stage.serving), "AWS::SageMaker::EndpointConfig")
    assert symbolic(served_stage, config["KmsKeyId"]["Fn::ImportValue"]) == "{data-key.arn}"


def test_dev_is_serverless_without_capture_rollout_or_autoscaling(served):
    dev = served["dev"]
    template = dev.template(dev.serving)
    config = only(template, "AWS::SageMaker::EndpointConfig")
    (variant,) = config["ProductionVariants"]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    assert "InstanceType" not in variant
    assert "DataCaptureConfig" not in config
    endpoint = only(template, "AWS::SageMaker::Endpoint")
    assert endpoint["EndpointName"] == "ml-platform-dev-grades"
    assert "DeploymentConfig" not in endpoint  # no traffic shifting on serverless
    assert resources_of_type(template, "AWS::ApplicationAutoScaling::ScalableTarget") == {}


@pytest.mark.parametrize("name", ["prod", "qa"])
def test_provisioned_variant_and_data_capture_follow_the_config(served, name):
    stage = served[name]
    settings = stage.config.serving
    config = only(stage.template(stage.serving), "AWS::SageMaker::EndpointConfig")
    (variant,) = config["ProductionVariants"]
    assert variant["InstanceType"] == settings.provisioned.instance_type == "ml.m5.large"
    assert variant["InitialInstanceCount"] == settings.provisioned.initial_instance_count >= 2
    assert "ServerlessConfig" not in variant
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["InitialSamplingPercentage"] == settings.data_capture.sampling_percentage
    assert sorted(option["CaptureMode"] for option in capture["CaptureOptions"]) == [
        "Input",
        "Output",
    ]
    destination = capture["DestinationS3Uri"]["Fn::Join"][1]
    assert destination[0] == "s3://"
    assert symbolic(stage, destination[1]["Fn::ImportValue"]) == "{curated.ref}"
    assert destination[2] == "/capture"
    assert symbolic(stage, capture["KmsKeyId"]["Fn::ImportValue"]) == "{data-key.arn}"


def _alarm_ids(template: dict[str, Any]) -> dict[str, str]:
    return {
        resource["Properties"]["MetricName"]: name
        for name, resource in resources_of_type(template, "AWS::CloudWatch::Alarm").items()
    }


def test_prod_rolls_out_blue_green_with_a_canary_and_rolls_back_on_both_alarms(served):
    prod = served["prod"]
    template = prod.template(prod.serving)
    deployment = only(template, "AWS::SageMaker::Endpoint")["DeploymentConfig"]
    rollout = prod.config.serving.provisioned.rollout
    assert deployment["BlueGreenUpdatePolicy"] == {
        "TrafficRoutingConfiguration": {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": rollout.step_percent},
            "WaitIntervalInSeconds": rollout.wait_interval_seconds,
        },
        "TerminationWaitInSeconds": rollout.termination_wait_seconds,
        "MaximumExecutionTimeoutInSeconds": rollout.max_execution_timeout_seconds,
    }
    alarms = _alarm_ids(template)
    assert deployment["AutoRollbackConfiguration"]["Alarms"] == [
        {"AlarmName": {"Ref": alarms["Invocation5XXErrors"]}},
        {"AlarmName": {"Ref": alarms["ModelLatency"]}},
    ]


def test_qa_rolls_out_linearly(served):
    qa = served["qa"]
    routing = only(qa.template(qa.serving), "AWS::SageMaker::Endpoint")["DeploymentConfig"][
        "BlueGreenUpdatePolicy"
    ]["TrafficRoutingConfiguration"]
    assert routing == {
        "Type": "LINEAR",
        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
        "WaitIntervalInSeconds": 300,
    }


@pytest.mark.parametrize("name", ["prod", "qa"])
def test_provisioned_endpoint_scales_on_invocations_per_instance(served, name):
    stage = served[name]
    template = stage.template(stage.serving)
    scaling = stage.config.serving.provisioned.autoscaling
    target = only(template, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["ServiceNamespace"] == "sagemaker"
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (
        scaling.min_instances,
        scaling.max_instances,
    )
    assert "RoleARN" not in target  # the service-linked role, no role of ours
    endpoint_id = logical_id_of(template, "AWS::SageMaker::Endpoint")
    assert target["ResourceId"] == {
        "Fn::Join": [
            "/",
            ["endpoint", {"Fn::GetAtt": [endpoint_id, "EndpointName"]}, "variant/AllTraffic"],
        ]
    }
    policy = only(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    assert tracking == {
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
        },
        "TargetValue": scaling.target_invocations_per_instance,
        "ScaleInCooldown": scaling.scale_in_cooldown_seconds,
        "ScaleOutCooldown": scaling.scale_out_cooldown_seconds,
    }
    endpoint = only(template, "AWS::SageMaker::Endpoint")
    assert endpoint["RetainAllVariantProperties"] is True


def test_rollback_alarms_watch_the_variant_with_thresholds_from_config(served_stage):
    template = served_stage.template(served_stage.serving)
    settings = served_stage.config.serving.rollback_alarms
    alarms = {
        resource["Properties"]["MetricName"]: resource["Properties"]
        for resource in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    }
    assert sorted(alarms) == ["Invocation5XXErrors", "ModelLatency"]
    endpoint = f"ml-platform-{served_stage.name}-grades"
    for alarm in alarms.values():
        assert alarm["Namespace"] == "AWS/SageMaker"
        assert alarm["Dimensions"] == [
            {"Name": "EndpointName", "Value": endpoint},
            {"Name": "VariantName", "Value": "AllTraffic"},
        ]
        assert alarm["Period"] == settings.period_seconds
        assert alarm["EvaluationPeriods"] == settings.evaluation_periods
        assert alarm["DatapointsToAlarm"] == settings.datapoints_to_alarm
        assert alarm["TreatMissingData"] == "notBreaching"
        (action,) = alarm["AlarmActions"]
        assert "Alerts" in action["Fn::ImportValue"]
    errors, latency = alarms["Invocation5XXErrors"], alarms["ModelLatency"]
    assert (errors["Statistic"], errors["Threshold"]) == ("Sum", settings.max_5xx_errors)
    assert errors["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # ModelLatency is in microseconds.
    assert latency["ExtendedStatistic"] == "p99"
    assert latency["Threshold"] == settings.max_model_latency_p99_ms * 1000
    assert latency["ComparisonOperator"] == "GreaterThanThreshold"


def test_typed_attributes_for_monitoring(served_stage):
    serving = served_stage.serving
    assert serving.endpoint_name == f"ml-platform-{served_stage.name}-grades"
    assert serving.variant_name == "AllTraffic"
    assert serving.rollback_alarms.errors_metric.metric_name == "Invocation5XXErrors"
    assert serving.rollback_alarms.latency_metric.metric_name == "ModelLatency"
    assert (serving.capture_uri is not None) is served_stage.config.serving.data_capture.enabled
    assert {alarm.node.id for alarm in serving.rollback_alarms.alarms} == {
        "ServerErrors",
        "ModelLatency",
    }


def test_endpoint_log_group_is_encrypted_and_expires(served_stage):
    template = served_stage.template(served_stage.serving)
    (group,) = resources_of_type(template, "AWS::Logs::LogGroup").values()
    properties = group["Properties"]
    assert (
        properties["LogGroupName"]
        == f"/aws/sagemaker/Endpoints/ml-platform-{served_stage.name}-grades"
    )
    assert properties["RetentionInDays"] == served_stage.config.logs.retention_days
    assert symbolic(served_stage, properties["KmsKeyId"]["Fn::ImportValue"]) == "{platform-key.arn}"
    endpoint = resources_of_type(template, "AWS::SageMaker::Endpoint")
    (resource,) = endpoint.values()
    assert logical_id(served_stage.serving.log_group) in resource["DependsOn"]


def test_endpoint_role_has_exactly_what_the_endpoint_needs(served_stage):
    serving = served_stage.serving
    log_group = (
        f"arn:aws:logs:us-east-1:<AWS::AccountId>:log-group:<{logical_id(serving.log_group)}>"
    )
    expected = {
        **runtime_statements(served_stage),
        "UseEndpointLogGroup": (
            ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
            [f"{log_group}:*"],
        ),
        "WriteEndpointLogs": (
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"{log_group}:log-stream:*"],
        ),
    }
    if served_stage.config.serving.data_capture.enabled:
        expected["CaptureRequestsAndPredictions"] = (
            OBJECT_WRITE,
            [f"{{curated.arn}}/capture/ml-platform-{served_stage.name}-grades/*"],
        )
        expected["EncryptCapturedData"] = (KEY_WRITE, ["{data-key.arn}"])
    actual = statements(served_stage, serving.model)
    if served_stage.name == "qa":
        assert actual.pop("DescribeNetwork")[1] == ["*"]
        assert len(actual.pop("AttachInterfacesInSubnets")[1]) == 1 + 2 + 1  # ENIs, subnets, SG
    assert actual == expected


def test_batch_role_reads_validated_files_and_writes_predictions_only(served_stage):
    prefix = f"ml-platform-{served_stage.name}-batch-"
    transform_logs = (
        "arn:aws:logs:us-east-1:<AWS::AccountId>:log-group:/aws/sagemaker/TransformJobs"
    )
    expected = {
        **runtime_statements(served_stage),
        "ReadBatchInput": (["s3:GetObject"], ["{curated.arn}/validated/*"]),
        "ListBatchInput": (["s3:ListBucket"], ["{curated.arn}"]),
        "WriteBatchPredictions": (OBJECT_WRITE, ["{curated.arn}/predictions/*"]),
        "UseDataKeyForInputAndPredictions": (KEY_WRITE, ["{data-key.arn}"]),
        "EncryptJobVolumes": (["kms:CreateGrant", "kms:DescribeKey"], ["{data-key.arn}"]),
        "CreateTransformLogGroup": (
            ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
            [f"{transform_logs}:*"],
        ),
        "WriteTransformLogs": (
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [f"{transform_logs}:log-stream:{prefix}*"],
        ),
    }
    actual = statements(served_stage, served_stage.serving.batch_model)
    if served_stage.name == "qa":
        actual.pop("DescribeNetwork")
        actual.pop("AttachInterfacesInSubnets")
    assert actual == expected
    by_sid = policy_of_role(
        served_stage.template(served_stage.serving),
        logical_id(served_stage.serving.batch_model.role),
    )
    assert by_sid["ListBatchInput"]["Condition"] == {"StringLike": {"s3:prefix": ["validated/*"]}}
    assert by_sid["EncryptJobVolumes"]["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"}
    }


def test_no_policy_grants_a_wildcard_action_and_only_sagemaker_assumes_the_roles(served_stage):
    template = served_stage.template(served_stage.serving)
    for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            assert not any("*" in action for action in actions(statement)), statement
    roles = resources_of_type(template, "AWS::IAM::Role")
    assert len(roles) == 2
    for role in roles.values():
        assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
            {
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
            }
        ]
        assert "Policies" not in role["Properties"]  # no inline policies
    assert resources_of_type(template, "AWS::IAM::Policy") == {}


def test_models_and_endpoint_wait_for_their_permissions(served_stage):
    template = served_stage.template(served_stage.serving)
    serving = served_stage.serving
    for model in (serving.model, serving.batch_model):
        resource = template["Resources"][logical_id(model.model)]
        assert logical_id(model.policy) in resource["DependsOn"]
    (endpoint,) = resources_of_type(template, "AWS::SageMaker::Endpoint").values()
    assert logical_id(serving.model.policy) in endpoint["DependsOn"]


def test_outputs_name_what_the_tools_read(served_stage):
    outputs = served_stage.template(served_stage.serving)["Outputs"]
    assert set(outputs) == {
        "EndpointName",
        "EndpointConfigName",
        "VariantName",
        "ModelPackageArn",
        "BatchModelName",
        "BatchJobPrefix",
    }
    # None re-exports another stack's output (cfn-lint W6001).
    assert "Fn::ImportValue" not in json.dumps(outputs)
    assert outputs["ModelPackageArn"]["Value"] == example_arn(served_stage.name)
    assert outputs["BatchJobPrefix"]["Value"] == f"ml-platform-{served_stage.name}-batch-"
