"""The validator function: runtime, sizing per stage, observability and a least-privilege role."""

from __future__ import annotations

from stacks import layout
from stacks.compliance import acknowledgment_register
from stacks.ingestion.ingestion_stack import METRIC_NAMES
from stacks.ingestion.powertools import LAYER_ACCOUNT, LAYER_VERSION
from tests.infra.helpers import as_list, resources_of_type

from .helpers import (
    get_att,
    imported,
    ingestion_template,
    policy_statements,
    ref,
    resource,
    stage_config,
)


def _function(stage):
    return resource(stage, stage.platform.ingestion.function)["Properties"]


def test_runtime_architecture_handler_and_tracing(stage):
    function = _function(stage)
    assert function["Runtime"] == "python3.14"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "validator.handler.lambda_handler"
    assert function["TracingConfig"] == {"Mode": "Active"}


def test_sizing_comes_from_the_stage_config(stage):
    config = stage_config(stage.name).ingestion
    function = _function(stage)
    assert function["MemorySize"] == config.memory_mb
    assert function["Timeout"] == config.timeout_seconds
    assert function["ReservedConcurrentExecutions"] == config.reserved_concurrency


def test_prod_is_sized_differently_from_dev(dev, prod):
    assert _function(dev)["MemorySize"] != _function(prod)["MemorySize"]
    assert (
        _function(dev)["ReservedConcurrentExecutions"]
        != _function(prod)["ReservedConcurrentExecutions"]
    )


def test_powertools_comes_from_the_pinned_public_layer_of_the_stage_region(stage):
    (layer,) = _function(stage)["Layers"]
    region = stage_config(stage.name).region
    assert layer == (
        f"arn:aws:lambda:{region}:{LAYER_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-python314-arm64:{LAYER_VERSION}"
    )


def test_logs_go_to_an_encrypted_log_group_with_the_stage_retention(stage):
    ingestion = stage.platform.ingestion
    assert _function(stage)["LoggingConfig"] == {"LogGroup": ref(ingestion.log_group)}
    log_group = resource(stage, ingestion.log_group)
    properties = log_group["Properties"]
    assert properties["KmsKeyId"] == imported(stage, stage.platform.data.keys.platform, "Arn")
    assert properties["RetentionInDays"] == stage_config(stage.name).logs.retention_days
    assert log_group["DeletionPolicy"] == "Retain"


def test_environment_variables_are_encrypted_with_the_platform_key(stage):
    platform_key = stage.platform.data.keys.platform
    assert _function(stage)["KmsKeyArn"] == imported(stage, platform_key, "Arn")


def test_environment_points_the_code_at_this_stages_resources(stage):
    config = stage_config(stage.name)
    ingestion = stage.platform.ingestion
    buckets, keys = stage.platform.data.buckets, stage.platform.data.keys
    assert _function(stage)["Environment"]["Variables"] == {
        "RAW_BUCKET_NAME": imported(stage, buckets.raw),
        "UPLOAD_PREFIX": layout.UPLOAD_PREFIX,
        "CURATED_BUCKET_NAME": imported(stage, buckets.curated),
        "CURATED_PREFIX": layout.VALIDATED_PREFIX,
        "CURATED_KMS_KEY_ID": imported(stage, keys.data, "Arn"),
        "QUARANTINE_BUCKET_NAME": imported(stage, buckets.quarantine),
        "QUARANTINE_PREFIX": layout.QUARANTINE_PREFIX,
        "QUARANTINE_KMS_KEY_ID": imported(stage, keys.data, "Arn"),
        "PIPELINE_NAME": f"{config.resource_prefix}-training",
        "ALERT_TOPIC_ARN": ref(ingestion.notification_topic),
        "IDEMPOTENCY_TABLE_NAME": ref(ingestion.idempotency_table),
        "IDEMPOTENCY_TTL_SECONDS": str(14 * 86400),
        "MAX_FILE_BYTES": str(config.ingestion.max_file_mb * 1024 * 1024),
        "MIN_ROWS": str(config.ingestion.min_rows),
        "MAX_ROWS": str(config.ingestion.max_rows),
        "POWERTOOLS_SERVICE_NAME": "validator",
        "POWERTOOLS_METRICS_NAMESPACE": f"{config.resource_prefix}/ingestion",
    }


def test_metrics_are_exposed_for_monitoring(stage):
    ingestion = stage.platform.ingestion
    variables = _function(stage)["Environment"]["Variables"]
    assert ingestion.metrics.namespace == variables["POWERTOOLS_METRICS_NAMESPACE"]
    assert ingestion.metrics.dimensions == {"service": variables["POWERTOOLS_SERVICE_NAME"]}
    assert ingestion.metrics.names == METRIC_NAMES


def test_the_function_runs_with_its_own_role_and_only_its_managed_policy(stage):
    ingestion = stage.platform.ingestion
    template = ingestion_template(stage)
    assert _function(stage)["Role"] == get_att(ingestion.role)
    (role,) = resources_of_type(template, "AWS::IAM::Role").values()
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }
    ]
    assert "ManagedPolicyArns" not in role["Properties"]  # no AWS managed policy
    assert not resources_of_type(template, "AWS::IAM::Policy"), "no inline policies"
    policy = resource(stage, ingestion.policy)["Properties"]
    assert policy["Roles"] == [ref(ingestion.role)]


def _expected_statements(stage):
    """Sid -> (actions, resources, condition) that the validator's code needs, and no more."""
    ingestion = stage.platform.ingestion
    buckets, keys = stage.platform.data.buckets, stage.platform.data.keys
    region = stage_config(stage.name).region

    def objects(bucket, prefix):
        return {"Fn::Join": ["", [imported(stage, bucket, "Arn"), f"/{prefix}*"]]}

    def via(service):
        return {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}}

    platform_key = imported(stage, keys.platform, "Arn")
    pipeline_name = f"{stage_config(stage.name).resource_prefix}-training"
    pipeline = [
        f"arn:aws:sagemaker:{region}:",
        {"Ref": "AWS::AccountId"},
        f":pipeline/{pipeline_name}",
    ]
    return {
        "ReadAndRemoveUploads": (
            ["s3:DeleteObjectVersion", "s3:GetObject", "s3:GetObjectVersion"],
            [objects(buckets.raw, layout.UPLOAD_PREFIX)],
            None,
        ),
        "ListRawAndQuarantineForNotFound": (
            ["s3:ListBucket"],
            sorted(
                [imported(stage, buckets.raw, "Arn"), imported(stage, buckets.quarantine, "Arn")],
                key=str,
            ),
            None,
        ),
        "WriteValidatedFilesAndReports": (
            ["s3:PutObject"],
            [objects(buckets.curated, layout.VALIDATED_PREFIX)],
            None,
        ),
        "WriteAndCheckQuarantinedFilesAndReports": (
            ["s3:GetObject", "s3:PutObject"],
            [objects(buckets.quarantine, layout.QUARANTINE_PREFIX)],
            None,
        ),
        "StudentDataKeyThroughS3Only": (
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [imported(stage, keys.data, "Arn")],
            via("s3"),
        ),
        "ConsumeUploadEvents": (
            ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
            [get_att(ingestion.queue)],
            None,
        ),
        "PlatformKeyToReadQueueMessages": (["kms:Decrypt"], [platform_key], via("sqs")),
        "NotifyQuarantine": (["sns:Publish"], [ref(ingestion.notification_topic)], None),
        "PlatformKeyToPublishToEncryptedTopic": (
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [platform_key],
            via("sns"),
        ),
        "PlatformKeyToDecryptOwnEnvironment": (["kms:Decrypt"], [platform_key], via("lambda")),
        "IdempotencyRecords": (
            ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            [get_att(ingestion.idempotency_table)],
            None,
        ),
        "PlatformKeyForEncryptedIdempotencyTable": (
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            [platform_key],
            via("dynamodb"),
        ),
        "StartTrainingPipeline": (
            ["sagemaker:StartPipelineExecution"],
            [{"Fn::Join": ["", pipeline]}],
            None,
        ),
        "WriteOwnLogs": (
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [get_att(ingestion.log_group)],
            None,
        ),
        "SendTraces": (["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"], None),
    }


# With a network (prod), Lambda places the function in the VPC with the function's role.
NETWORK_SIDS = {
    "AttachInterfacesInSubnets": [
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:UnassignPrivateIpAddresses",
    ],
    "DescribeNetwork": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
}


def test_role_statements_are_exactly_the_actions_the_code_uses_on_its_resources(stage):
    statements = policy_statements(stage)
    network = stage.platform.network
    network_statements = {sid: statements.pop(sid) for sid in NETWORK_SIDS if sid in statements}
    if network is None:
        assert network_statements == {}
    else:
        assert {sid: sorted(as_list(s["Action"])) for sid, s in network_statements.items()} == (
            NETWORK_SIDS
        )
        attach = as_list(network_statements["AttachInterfacesInSubnets"]["Resource"])
        # network-interface/* plus every subnet and security group the function uses, by name
        assert len(attach) == 1 + len(network.workloads.subnets) + len(
            network.workloads.security_groups
        )
        assert network_statements["DescribeNetwork"]["Resource"] == "*"
    expected = _expected_statements(stage)
    assert sorted(statements) == sorted(expected)
    for sid, (actions, resources, condition) in expected.items():
        statement = statements[sid]
        assert statement["Effect"] == "Allow", sid
        assert sorted(as_list(statement["Action"])) == actions, sid
        assert sorted(as_list(statement["Resource"]), key=str) == sorted(resources, key=str), sid
        assert statement.get("Condition") == condition, sid


def test_no_wildcard_actions_and_wildcard_resources_only_where_acknowledged(stage):
    policy = stage.platform.ingestion.policy
    acknowledged = {
        record.rule
        for record in acknowledgment_register(stage.app)
        if record.resource_path == policy.node.default_child.node.path
    }
    wildcard_resources = 0
    for statement in policy_statements(stage).values():
        for action in as_list(statement["Action"]):
            assert "*" not in action, action
        for target in as_list(statement["Resource"]):
            flat = _flatten(target)
            if "*" in flat:
                wildcard_resources += 1
                assert f"AwsSolutions-IAM5[Resource::{flat}]" in acknowledged, flat
    # three object prefixes and X-Ray's "*"; with a network, network-interface/* and Describe*
    assert wildcard_resources == (4 if stage.platform.network is None else 6)


def _flatten(value):
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(_flatten(part) for part in value["Fn::Join"][1])
    if "Fn::ImportValue" in value:
        return value["Fn::ImportValue"]
    if "Ref" in value:  # as cdk-nag writes a reference in a finding: <AWS::AccountId>
        return f"<{value['Ref']}>"
    return "<token>"


def _accepted_findings(ingestion):
    """Rule -> the one resource of the ingestion stack it is accepted on."""
    # Outside a VPC only when the stage has no network (dev).
    outside_vpc = (
        {
            f"{pack}-LambdaInsideVPC": [ingestion.function]
            for pack in ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
        }
        if ingestion.network is None
        else {}
    )
    return {
        **outside_vpc,
        "AwsSolutions-SQS3": [ingestion.delivery_dead_letter_queue],
        "Serverless-SQSRedrivePolicy": [
            ingestion.dead_letter_queue,
            ingestion.delivery_dead_letter_queue,
        ],
        "HIPAA.Security-LambdaDLQ": [ingestion.function],
        "NIST.800.53.R5-LambdaDLQ": [ingestion.function],
        "Serverless-LambdaDLQ": [ingestion.function],
        "Serverless-LambdaEventSourceMappingDestination": [ingestion.event_source_mapping],
        "HIPAA.Security-DynamoDBInBackupPlan": [ingestion.idempotency_table],
        "NIST.800.53.R5-DynamoDBInBackupPlan": [ingestion.idempotency_table],
    }


def test_findings_are_accepted_only_on_the_resources_they_concern(stage):
    ingestion = stage.platform.ingestion
    stack_path = ingestion.node.path + "/"
    records = [
        r for r in acknowledgment_register(stage.app) if r.resource_path.startswith(stack_path)
    ]
    wildcard = [r for r in records if r.rule.startswith("AwsSolutions-IAM5[")]
    others: dict[str, list[str]] = {}
    for record in records:
        if record not in wildcard:
            others.setdefault(record.rule, []).append(record.resource_path)
    expected = {
        rule: sorted(construct.node.path for construct in constructs)
        for rule, constructs in _accepted_findings(ingestion).items()
    }
    assert {rule: sorted(paths) for rule, paths in others.items()} == expected
    assert {r.resource_path for r in wildcard} == {ingestion.policy.node.default_child.node.path}
