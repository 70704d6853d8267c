"""Score validated student records with the served model: a SageMaker batch transform job.

    python -m tools.batch_score --stage prod \\
        --input s3://<curated bucket>/validated/<upload>/version=<revision>/data/ \\
        [--wait] [--instance-type ml.m5.large] [--instance-count 1] [--region us-east-1]

The job runs the batch model of the stage's Serving stack (``MlPlatform-<stage>-Serving``,
outputs ``BatchModelName`` and ``BatchJobPrefix``): the approved version that stack serves,
under its least-privilege role, which may read only ``validated/`` of the curated bucket and
write only ``predictions/`` there, with the data key.

* Input: a validated file, or the ``data/`` folder of one accepted upload (the validator keeps
  each file's ``report.json`` beside its ``data/`` folder, and reports are not records).
* Output: ``s3://<same bucket>/predictions/<job name>/<input file>.out``, encrypted (SSE-KMS)
  with the key the bucket encrypts with by default (the data key), like the job's volumes.
* Format: each CSV is split by line into mini-batches (``text/csv``; the header line travels
  with the first one and names the columns); each answer ``{"predictions": [...]}`` (input
  order) becomes one line of the ``.out`` file.

Exit codes: 0 started (with --wait: completed); 1 the job failed or was stopped (--wait);
2 wrong arguments or an input the batch role may not read; 3 the stage's Serving stack or one
of its outputs is missing; 4 an AWS call failed.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from stacks.layout import PREDICTIONS_PREFIX, VALIDATED_PREFIX

EXIT_OK = 0
EXIT_JOB_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_SERVING_STACK = 3
EXIT_AWS_ERROR = 4

CSV = "text/csv"
JSON = "application/json"
DEFAULT_INSTANCE_TYPE = "ml.m5.large"
MAX_PAYLOAD_MB = 6  # the real-time limit too: a mini-batch is at most one request's worth
DATA_FOLDER = "data"  # where the validator puts an accepted file, apart from its report
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
_S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")
# Outputs of the Serving stack (stacks/serving/serving_stack.py OUTPUTS).
MODEL_OUTPUT = "BatchModelName"
JOB_PREFIX_OUTPUT = "BatchJobPrefix"


class BatchScoreError(Exception):
    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message


@dataclass(frozen=True)
class BatchModel:
    name: str
    job_prefix: str  # the batch role may write logs for jobs named <prefix>* only


@dataclass(frozen=True)
class Input:
    uri: str
    bucket: str
    key: str


def serving_stack_name(stage: str) -> str:
    return f"MlPlatform-{stage}-Serving"


def read_batch_model(cloudformation: Any, stage: str) -> BatchModel:
    name = serving_stack_name(stage)
    try:
        (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except (ClientError, BotoCoreError) as error:
        if "does not exist" in str(error):
            raise BatchScoreError(
                EXIT_NO_SERVING_STACK,
                f"stack {name} does not exist: deploy an approved model to stage {stage} first",
            ) from None
        raise BatchScoreError(EXIT_AWS_ERROR, f"cannot describe stack {name}: {error}") from None
    outputs = {item["OutputKey"]: item["OutputValue"] for item in stack.get("Outputs", [])}
    for key in (MODEL_OUTPUT, JOB_PREFIX_OUTPUT):
        if key not in outputs:
            raise BatchScoreError(
                EXIT_NO_SERVING_STACK,
                f"stack {name} has no output {key}: it predates batch scoring, redeploy it",
            )
    return BatchModel(name=outputs[MODEL_OUTPUT], job_prefix=outputs[JOB_PREFIX_OUTPUT])


def parse_input(uri: str) -> Input:
    """Refuse, before starting, an input the batch role may not or should not read."""
    match = _S3_URI.match(uri)
    if match is None:
        raise BatchScoreError(EXIT_USAGE, f"--input must be an s3://bucket/key URI, got {uri!r}")
    key = match["key"]
    if not key.startswith(VALIDATED_PREFIX):
        raise BatchScoreError(
            EXIT_USAGE,
            f"--input {uri!r} is not under {VALIDATED_PREFIX} of the curated bucket: batch "
            "scoring reads validated files only (they passed the data contract)",
        )
    segments = key.split("/")
    if DATA_FOLDER not in segments[:-1] and segments[-1] != DATA_FOLDER:
        raise BatchScoreError(
            EXIT_USAGE,
            f"--input {uri!r} names no {DATA_FOLDER}/ folder, so it would also read validation "
            f"reports; give .../version=<revision>/{DATA_FOLDER}/ or a file in it",
        )
    return Input(uri=uri, bucket=match["bucket"], key=key)


def bucket_key(s3: Any, bucket: str) -> str:
    """The KMS key the bucket encrypts new objects with by default (the curated bucket's)."""
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
    except (ClientError, BotoCoreError) as error:
        raise BatchScoreError(
            EXIT_AWS_ERROR, f"cannot read the default encryption of bucket {bucket}: {error}"
        ) from None
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") == "aws:kms" and default.get("KMSMasterKeyID"):
            key: str = default["KMSMasterKeyID"]
            return key
    raise BatchScoreError(
        EXIT_USAGE,
        f"bucket {bucket} has no default KMS key: it is not the platform's curated bucket",
    )


def job_name(prefix: str, now: datetime) -> str:
    return f"{prefix}{now.strftime('%Y%m%d-%H%M%S')}"


def transform_request(
    *,
    model: BatchModel,
    source: Input,
    key_id: str,
    name: str,
    instance_type: str,
    instance_count: int,
) -> dict[str, Any]:
    return {
        "TransformJobName": name,
        "ModelName": model.name,
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": MAX_PAYLOAD_MB,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": source.uri}},
            "ContentType": CSV,
            "SplitType": "Line",
            "CompressionType": "None",
        },
        "TransformOutput": {
            "S3OutputPath": f"s3://{source.bucket}/{PREDICTIONS_PREFIX}{name}/",
            "Accept": JSON,
            "AssembleWith": "Line",
            "KmsKeyId": key_id,
        },
        "TransformResources": {
            "InstanceType": instance_type,
            "InstanceCount": instance_count,
            "VolumeKmsKeyId": key_id,
        },
    }


def wait_for(sagemaker: Any, name: str, out: TextIO) -> int:
    # A failed job ends the waiter with an error; the job's description says why.
    with contextlib.suppress(WaiterError):
        sagemaker.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name)
    try:
        description = sagemaker.describe_transform_job(TransformJobName=name)
    except (ClientError, BotoCoreError) as error:
        print(f"batch scoring FAILED: cannot describe {name}: {error}", file=sys.stderr)
        return EXIT_AWS_ERROR
    status = description["TransformJobStatus"]
    if status == "Completed":
        print(f"{name} completed: {description['TransformOutput']['S3OutputPath']}", file=out)
        return EXIT_OK
    reason = description.get("FailureReason", "no reason given")
    print(f"batch scoring FAILED: {name} is {status}: {reason}", file=sys.stderr)
    return EXIT_JOB_FAILED


def run(
    *,
    stage: str,
    input_uri: str,
    instance_type: str,
    instance_count: int,
    wait: bool,
    clients: Mapping[str, Any],
    now: Callable[[], datetime],
    out: TextIO,
) -> int:
    try:
        source = parse_input(input_uri)
        model = read_batch_model(clients["cloudformation"], stage)
        name = job_name(model.job_prefix, now())
        request = transform_request(
            model=model,
            source=source,
            key_id=bucket_key(clients["s3"], source.bucket),
            name=name,
            instance_type=instance_type,
            instance_count=instance_count,
        )
        try:
            clients["sagemaker"].create_transform_job(**request)
        except (ClientError, BotoCoreError) as error:
            raise BatchScoreError(EXIT_AWS_ERROR, f"cannot start {name}: {error}") from None
    except BatchScoreError as failure:
        print(f"batch scoring FAILED: {failure.message}", file=sys.stderr)
        return failure.exit_code
    output = request["TransformOutput"]["S3OutputPath"]
    print(f"started {name}: {input_uri} -> {output}", file=out)
    if not wait:
        return EXIT_OK
    return wait_for(clients["sagemaker"], name, out)


def _instance_type(value: str) -> str:
    if not _INSTANCE_TYPE.match(value):
        raise argparse.ArgumentTypeError(f"not a SageMaker instance type like ml.m5.large: {value}")
    return value


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {number}")
    return number


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.batch_score",
        description="Score validated files with the stage's served model (batch transform).",
    )
    parser.add_argument("--stage", required=True, help="stage whose Serving stack to use")
    parser.add_argument(
        "--input",
        required=True,
        help="s3:// URI of an accepted upload's validated .../data/ folder or a file in it",
    )
    parser.add_argument("--instance-type", type=_instance_type, default=DEFAULT_INSTANCE_TYPE)
    parser.add_argument("--instance-count", type=_positive, default=1)
    parser.add_argument("--wait", action="store_true", help="wait for the job and report it")
    parser.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        session = boto3.session.Session(region_name=args.region)
        clients = {name: session.client(name) for name in ("cloudformation", "s3", "sagemaker")}
    except BotoCoreError as error:  # e.g. no region configured
        print(f"batch scoring FAILED: {error}; pass --region", file=sys.stderr)
        return EXIT_USAGE
    return run(
        stage=args.stage,
        input_uri=args.input,
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        wait=args.wait,
        clients=clients,
        now=lambda: datetime.now(UTC),
        out=sys.stdout,
    )


if __name__ == "__main__":
    sys.exit(main())
