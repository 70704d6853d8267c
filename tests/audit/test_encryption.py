"""Encryption at rest: the real app's data under the expected keys; hand-written edge cases."""

from __future__ import annotations

from pathlib import Path

from tests.audit.builders import (
    arn,
    export,
    imported,
    join,
    json_join,
    ref,
    resource,
    write_assembly,
)
from tools.audit.encryption import EncryptedItem
from tools.audit.keys import KeyKind
from tools.audit.report import Audit, run_audit

DATA_BUCKETS = ("Raw", "Curated", "Quarantine")


def _items(audit: Audit, name: str) -> list[EncryptedItem]:
    return [item for item in audit.encryption if item.resource.name == name]


def _alias_of(item: EncryptedItem) -> str:
    assert item.use.key is not None, f"{item.resource.name}: {item.use.label}"
    return item.use.key.aliases[0]


def test_student_data_buckets_are_under_the_data_key(stage_audit: Audit) -> None:
    for name in DATA_BUCKETS:
        [item] = _items(stage_audit, name)
        assert item.use.kind is KeyKind.CUSTOMER_MANAGED
        assert _alias_of(item) == f"alias/ml-platform-{stage_audit.stage}/data"
        assert not item.flagged


def test_model_artifacts_are_under_the_platform_key(stage_audit: Audit) -> None:
    [item] = _items(stage_audit, "Artifacts")
    assert _alias_of(item) == f"alias/ml-platform-{stage_audit.stage}/platform"


def test_the_alerts_topic_resolves_across_stacks_to_the_platform_key(stage_audit: Audit) -> None:
    [item] = _items(stage_audit, "AlertsTopic")
    assert item.resource.stack.endswith("-Alerts")
    assert item.use.key is not None and item.use.key.resource.stack.endswith("-Data")
    assert _alias_of(item).endswith("/platform")


def test_the_access_log_bucket_is_flagged_with_its_acknowledged_reason(stage_audit: Audit) -> None:
    [item] = _items(stage_audit, "AccessLogs")
    assert item.flagged and item.use.kind is KeyKind.SSE_S3
    [reason] = item.acknowledged  # one reason, acknowledged in three packs
    assert "HIPAA.Security-S3DefaultEncryptionKMS" in reason
    assert "PCI.DSS.321-S3DefaultEncryptionKMS" in reason
    assert "server access logging delivers only" in reason


def test_every_unflagged_item_names_a_key_of_the_assembly(stage_audit: Audit) -> None:
    keys = {r.address for r in stage_audit.assembly.resources_of_type("AWS::KMS::Key")}
    for item in stage_audit.encryption:
        if not item.flagged and item.use.key is not None:
            assert item.use.key.address in keys


# --- hand-written: a pipeline definition, queues, topics, endpoint configs ----------------------
def _pipeline_assembly(tmp_path: Path) -> Audit:
    processing = {
        "Name": "Prep",
        "Type": "Processing",
        "Arguments": {
            "ProcessingResources": {"ClusterConfig": {"VolumeKmsKeyId": "@VOLUME@"}},
            "ProcessingOutputConfig": {
                "Outputs": [{"S3Output": {"S3Uri": "s3://@BUCKET@/processed/"}}]
            },
        },
    }
    training = {
        "Name": "Train",
        "Type": "Training",
        "Arguments": {
            "ResourceConfig": {"InstanceType": "ml.m5.large"},
            "OutputDataConfig": {
                "S3OutputPath": "s3://elsewhere/models",
                "KmsKeyId": {"Get": "Parameters.OutputKey"},
            },
        },
    }
    register = {"Name": "Register", "Type": "RegisterModel", "Arguments": {}}
    gate = {
        "Name": "Gate",
        "Type": "Condition",
        "Arguments": {"IfSteps": [register], "ElseSteps": []},
    }
    data = {
        "Resources": {
            "Key1": resource("AWS::KMS::Key", "Data/Key/Resource"),
            "Out1": resource(
                "AWS::S3::Bucket",
                "Data/Out/Resource",
                BucketEncryption={
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": arn("Key1"),
                            }
                        }
                    ]
                },
            ),
        },
        "Outputs": {"KeyArn": export(arn("Key1"), "Data:KeyArn")},
    }
    jobs = {
        "Resources": {
            "Pipeline1": resource(
                "AWS::SageMaker::Pipeline",
                "Jobs/Pipeline",
                PipelineDefinition={
                    "PipelineDefinitionBody": json_join(
                        {
                            "Version": "2020-12-01",
                            "Parameters": [{"Name": "OutputKey", "DefaultValue": "@KEY@"}],
                            "Steps": [processing, training, gate],
                        },
                        {
                            "@VOLUME@": imported("Data:KeyArn"),
                            "@KEY@": imported("Data:KeyArn"),
                            "@BUCKET@": imported("Data:OutName"),
                        },
                    )
                },
            ),
            "Queue1": resource("AWS::SQS::Queue", "Jobs/Queue/Resource"),
            "Topic1": resource(
                "AWS::SNS::Topic", "Jobs/Topic/Resource", KmsMasterKeyId="alias/aws/sns"
            ),
            "Logs1": resource("AWS::Logs::LogGroup", "Jobs/Logs/Resource"),
            "Serverless1": resource(
                "AWS::SageMaker::EndpointConfig",
                "Jobs/Serverless",
                ProductionVariants=[{"VariantName": "a", "ServerlessConfig": {}}],
            ),
            "ServerlessKeyed1": resource(
                "AWS::SageMaker::EndpointConfig",
                "Jobs/ServerlessKeyed",
                ProductionVariants=[{"VariantName": "a", "ServerlessConfig": {}}],
                KmsKeyId=imported("Data:KeyArn"),
            ),
            "Provisioned1": resource(
                "AWS::SageMaker::EndpointConfig",
                "Jobs/Provisioned",
                ProductionVariants=[{"VariantName": "a", "InstanceType": "ml.m5.large"}],
                DataCaptureConfig={"DestinationS3Uri": join("s3://", ref("Out1"), "/capture")},
            ),
        }
    }
    # The capture bucket is in another stack: reach it through an import as CDK would.
    data["Outputs"]["OutName"] = export(ref("Out1"), "Data:OutName")
    jobs["Resources"]["Provisioned1"]["Properties"]["DataCaptureConfig"]["DestinationS3Uri"] = join(
        "s3://", imported("Data:OutName"), "/capture"
    )
    directory = write_assembly(
        tmp_path, {"Data": data, "Jobs": jobs}, dependencies={"Jobs": ["Data"]}
    )
    return run_audit(directory)


def test_pipeline_job_storage_is_read_from_the_definition(tmp_path: Path) -> None:
    audit = _pipeline_assembly(tmp_path)
    items = {item.item: item for item in audit.encryption if item.resource.name == "Pipeline"}
    volume = items["job volume (step Prep)"]
    assert volume.use.key is not None and volume.use.key.address == "Data/Key1"
    # No KmsKeyId on the outputs: the target bucket's default encryption applies.
    outputs = items["job outputs (step Prep)"]
    assert outputs.use.key is not None and "bucket default of Out" in outputs.note
    # No VolumeKmsKeyId: SageMaker's default EBS encryption, flagged.
    assert items["job volume (step Train)"].flagged
    assert items["job volume (step Train)"].use.kind is KeyKind.AWS_MANAGED
    # A pipeline parameter's default value names the key.
    assert items["model artifacts (step Train)"].use.key is not None
    # Steps nested in a condition are read too; no SecurityConfig: AWS owned key.
    assert items["model package metadata (step Register)"].use.kind is KeyKind.AWS_OWNED


def test_service_defaults_are_flagged(tmp_path: Path) -> None:
    audit = _pipeline_assembly(tmp_path)
    kinds = {item.resource.name: item.use.kind for item in audit.encryption if item.flagged}
    assert kinds["Queue"] is KeyKind.AWS_OWNED  # SQS managed SSE
    assert kinds["Topic"] is KeyKind.AWS_MANAGED  # alias/aws/sns
    assert kinds["Logs"] is KeyKind.AWS_OWNED


def test_endpoint_configs(tmp_path: Path) -> None:
    audit = _pipeline_assembly(tmp_path)
    assert [i.item for i in audit.encryption if i.resource.name == "Serverless"] == []
    [keyed] = [i for i in audit.encryption if i.resource.name == "ServerlessKeyed"]
    assert keyed.item == "model image (serverless)" and not keyed.flagged
    provisioned = {i.item: i for i in audit.encryption if i.resource.name == "Provisioned"}
    assert provisioned["ML storage volume"].flagged
    capture = provisioned["captured requests and responses"]
    assert not capture.flagged and capture.use.key is not None
