"""tools.batch_score offline: botocore's Stubber plays CloudFormation, S3 and SageMaker."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from tools import batch_score

CLIENT = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "y"}
CURATED = "mlplatform-prod-data-curated1a2b3c"
DATA_KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
INPUT = f"s3://{CURATED}/validated/school-a/2024.csv/version=3Lg/data/"
MODEL = "BatchModelC9F026F1-abcdefgh"
NOW = datetime(2024, 6, 1, 7, 30, 5, tzinfo=UTC)
JOB = "ml-platform-prod-batch-20240601-073005"


@pytest.fixture
def clients():
    made = {name: boto3.client(name, **CLIENT) for name in ("cloudformation", "s3", "sagemaker")}
    stubs = {name: Stubber(client) for name, client in made.items()}
    for stub in stubs.values():
        stub.activate()
    yield made, stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def _stack(outputs: dict[str, str]) -> dict:
    return {
        "Stacks": [
            {
                "StackName": "MlPlatform-prod-Serving",
                "CreationTime": NOW,
                "StackStatus": "UPDATE_COMPLETE",
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
            }
        ]
    }


OUTPUTS = {"BatchModelName": MODEL, "BatchJobPrefix": "ml-platform-prod-batch-"}

EXPECTED_REQUEST = {
    "TransformJobName": JOB,
    "ModelName": MODEL,
    "BatchStrategy": "MultiRecord",
    "MaxPayloadInMB": 6,
    "TransformInput": {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": INPUT}},
        "ContentType": "text/csv",
        "SplitType": "Line",
        "CompressionType": "None",
    },
    "TransformOutput": {
        "S3OutputPath": f"s3://{CURATED}/predictions/{JOB}/",
        "Accept": "application/json",
        "AssembleWith": "Line",
        "KmsKeyId": DATA_KEY,
    },
    "TransformResources": {
        "InstanceType": "ml.m5.large",
        "InstanceCount": 1,
        "VolumeKmsKeyId": DATA_KEY,
    },
}


def _expect_stack(stubs, outputs=OUTPUTS) -> None:
    stubs["cloudformation"].add_response(
        "describe_stacks", _stack(outputs), {"StackName": "MlPlatform-prod-Serving"}
    )


def _expect_encryption(stubs, algorithm: str = "aws:kms") -> None:
    default = {"SSEAlgorithm": algorithm}
    if algorithm == "aws:kms":
        default["KMSMasterKeyID"] = DATA_KEY
    stubs["s3"].add_response(
        "get_bucket_encryption",
        {
            "ServerSideEncryptionConfiguration": {
                "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": True}]
            }
        },
        {"Bucket": CURATED},
    )


def _run(made, *, input_uri: str = INPUT, wait: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    code = batch_score.run(
        stage="prod",
        input_uri=input_uri,
        instance_type="ml.m5.large",
        instance_count=1,
        wait=wait,
        clients=made,
        now=lambda: NOW,
        out=out,
    )
    return code, out.getvalue()


def test_starts_a_transform_job_with_the_served_model_and_the_buckets_key(clients):
    made, stubs = clients
    _expect_stack(stubs)
    _expect_encryption(stubs)
    stubs["sagemaker"].add_response(
        "create_transform_job",
        {"TransformJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:transform-job/{JOB}"},
        EXPECTED_REQUEST,
    )
    code, out = _run(made)
    assert code == batch_score.EXIT_OK
    assert out == f"started {JOB}: {INPUT} -> s3://{CURATED}/predictions/{JOB}/\n"


@pytest.mark.parametrize(
    ("status", "code", "stream", "text"),
    [
        ("Completed", batch_score.EXIT_OK, "out", f"{JOB} completed: s3://{CURATED}/predictions/"),
        ("Failed", batch_score.EXIT_JOB_FAILED, "err", f"{JOB} is Failed: AccessDenied"),
    ],
)
def test_wait_reports_how_the_job_ended(clients, capsys, status, code, stream, text):
    made, stubs = clients
    _expect_stack(stubs)
    _expect_encryption(stubs)
    stubs["sagemaker"].add_response(
        "create_transform_job", {"TransformJobArn": "arn:x"}, EXPECTED_REQUEST
    )
    description = {
        "TransformJobName": JOB,
        "TransformJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:transform-job/{JOB}",
        "TransformJobStatus": status,
        "ModelName": MODEL,
        "TransformInput": EXPECTED_REQUEST["TransformInput"],
        "TransformOutput": EXPECTED_REQUEST["TransformOutput"],
        "TransformResources": EXPECTED_REQUEST["TransformResources"],
        "CreationTime": NOW,
    }
    if status == "Failed":
        description["FailureReason"] = "AccessDenied"
    for _ in range(2):  # the waiter's poll, then the final description
        stubs["sagemaker"].add_response(
            "describe_transform_job", description, {"TransformJobName": JOB}
        )
    result, out = _run(made, wait=True)
    assert result == code
    assert text in (out if stream == "out" else capsys.readouterr().err)


@pytest.mark.parametrize(
    ("input_uri", "message"),
    [
        ("validated/x.csv", "--input must be an s3://bucket/key URI"),
        (f"s3://{CURATED}/", "--input must be an s3://bucket/key URI"),
        (f"s3://{CURATED}/processed/1/train/", "is not under validated/ of the curated bucket"),
        (f"s3://{CURATED}/validated/school-a/", "names no data/ folder"),
        (f"s3://{CURATED}/validated/school-a/2024.csv/version=3Lg/report.json", "no data/"),
    ],
)
def test_inputs_the_batch_role_may_not_read_are_refused_before_any_call(
    clients, capsys, input_uri, message
):
    made, _ = clients
    assert _run(made, input_uri=input_uri) == (batch_score.EXIT_USAGE, "")
    assert message in capsys.readouterr().err


def test_a_file_in_a_data_folder_is_accepted():
    source = batch_score.parse_input(f"{INPUT}2024.csv")
    assert (source.bucket, source.key) == (
        CURATED,
        "validated/school-a/2024.csv/version=3Lg/data/2024.csv",
    )


def test_a_stage_without_a_serving_stack_says_so(clients, capsys):
    made, stubs = clients
    stubs["cloudformation"].add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message="Stack with id MlPlatform-prod-Serving does not exist",
    )
    assert _run(made)[0] == batch_score.EXIT_NO_SERVING_STACK
    assert "deploy an approved model to stage prod first" in capsys.readouterr().err


def test_a_serving_stack_without_the_outputs_says_so(clients, capsys):
    made, stubs = clients
    _expect_stack(stubs, {"EndpointName": "ml-platform-prod-grades"})
    assert _run(made)[0] == batch_score.EXIT_NO_SERVING_STACK
    assert "has no output BatchModelName" in capsys.readouterr().err


def test_a_bucket_without_a_default_kms_key_is_not_the_curated_bucket(clients, capsys):
    made, stubs = clients
    _expect_stack(stubs)
    _expect_encryption(stubs, algorithm="AES256")
    assert _run(made)[0] == batch_score.EXIT_USAGE
    assert "has no default KMS key" in capsys.readouterr().err


def test_a_refused_job_is_an_aws_error(clients, capsys):
    made, stubs = clients
    _expect_stack(stubs)
    _expect_encryption(stubs)
    stubs["sagemaker"].add_client_error(
        "create_transform_job",
        service_error_code="ResourceLimitExceeded",
        service_message="too many ml.m5.large for transform job usage",
    )
    assert _run(made)[0] == batch_score.EXIT_AWS_ERROR
    assert f"cannot start {JOB}: " in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--stage", "prod"],
        ["--stage", "prod", "--input", INPUT, "--instance-type", "m5.large"],
        ["--stage", "prod", "--input", INPUT, "--instance-count", "0"],
    ],
)
def test_bad_arguments_are_a_usage_error(argv):
    with pytest.raises(SystemExit) as exit_info:
        batch_score.main(argv)
    assert exit_info.value.code == batch_score.EXIT_USAGE
