"""Smoke check of a deployed endpoint: the rollout landed, and the model answers sensibly.

    python -m tools.smoke_check --endpoint ml-platform-prod-grades \\
        --expected-config <EndpointConfigName output of the Serving stack> [--region us-east-1]

1. The endpoint is ``InService`` on the expected endpoint config. A blue/green rollout that an
   alarm rolled back leaves the endpoint InService on the *old* config, and CloudFormation then
   reports the stack update as failed; checking the config name catches that even when nobody
   read the deploy output.
2. One sample record (from the seeded generator, under the data contract, target removed) is
   sent as ``application/json``; the answer must be ``{"predictions": [<number>]}`` with the
   number finite and within the target's contract range.

Exit codes (one line on stderr says what failed):
    0  the endpoint is in service on the expected config and answered one valid prediction
    1  the endpoint is not in service (missing, creating, updating, rolling back, failed)
    2  wrong command-line arguments
    3  in service, but on another endpoint config (rolled back, or replaced by another deploy)
    4  the invocation failed (HTTP error from the model, throttling, network)
    5  the model answered, but not with one valid prediction
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from contract import load_contract
from tools.sample_data import generate_rows

EXIT_OK = 0
EXIT_NOT_IN_SERVICE = 1
EXIT_USAGE = 2
EXIT_WRONG_CONFIG = 3
EXIT_INVOCATION_FAILED = 4
EXIT_BAD_RESPONSE = 5

JSON = "application/json"
IN_SERVICE = "InService"
SAMPLE_SEED = 20240601
CONTRACT = load_contract()


class SmokeCheckFailure(Exception):
    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message


def check_endpoint(sagemaker: Any, endpoint: str, expected_config: str) -> None:
    """Raise SmokeCheckFailure unless ``endpoint`` is InService on ``expected_config``."""
    try:
        description = sagemaker.describe_endpoint(EndpointName=endpoint)
    except (ClientError, BotoCoreError) as error:
        raise SmokeCheckFailure(
            EXIT_NOT_IN_SERVICE, f"cannot describe endpoint {endpoint!r}: {error}"
        ) from None
    status = description["EndpointStatus"]
    if status != IN_SERVICE:
        reason = description.get("FailureReason")
        detail = f": {reason}" if reason else "; wait until it is InService and run again"
        raise SmokeCheckFailure(
            EXIT_NOT_IN_SERVICE, f"endpoint {endpoint!r} is {status}, not {IN_SERVICE}{detail}"
        )
    running = description["EndpointConfigName"]
    if running != expected_config:
        raise SmokeCheckFailure(
            EXIT_WRONG_CONFIG,
            f"endpoint {endpoint!r} is {IN_SERVICE} on endpoint config {running!r}, expected "
            f"{expected_config!r}: the rollout was rolled back (see its rollback alarms and the "
            "stack's events) or another deployment replaced it",
        )


def sample_request(seed: int = SAMPLE_SEED) -> bytes:
    """One valid record of the contract's feature columns, as the JSON the endpoint accepts."""
    (record,) = generate_rows(1, seed=seed)
    features = {name: value for name, value in record.items() if name != CONTRACT.target}
    return json.dumps({"instances": [features]}).encode("utf-8")


def check_response(body: bytes) -> float:
    """The one prediction in ``body``; SmokeCheckFailure unless it is exactly that."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SmokeCheckFailure(EXIT_BAD_RESPONSE, f"response is not JSON: {error}") from None
    if not isinstance(document, dict) or "predictions" not in document:
        raise SmokeCheckFailure(
            EXIT_BAD_RESPONSE, f'response is not {{"predictions": [...]}}: {body[:200]!r}'
        )
    predictions = document["predictions"]
    if not isinstance(predictions, list) or len(predictions) != 1:
        raise SmokeCheckFailure(
            EXIT_BAD_RESPONSE,
            f"expected one prediction for one record, got {predictions!r:.200}",
        )
    (value,) = predictions
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SmokeCheckFailure(EXIT_BAD_RESPONSE, f"prediction {value!r} is not a finite number")
    target = CONTRACT.column(CONTRACT.target)
    if not target.minimum <= value <= target.maximum:
        raise SmokeCheckFailure(
            EXIT_BAD_RESPONSE,
            f"prediction {value} is outside {target.name}'s range "
            f"{target.minimum}..{target.maximum}",
        )
    return float(value)


def invoke(runtime: Any, endpoint: str, body: bytes) -> bytes:
    try:
        response = runtime.invoke_endpoint(
            EndpointName=endpoint, ContentType=JSON, Accept=JSON, Body=body
        )
    except (ClientError, BotoCoreError) as error:
        raise SmokeCheckFailure(
            EXIT_INVOCATION_FAILED, f"invoking endpoint {endpoint!r} failed: {error}"
        ) from None
    payload: bytes = response["Body"].read()
    return payload


def run(*, endpoint: str, expected_config: str, sagemaker: Any, runtime: Any, out: TextIO) -> int:
    try:
        check_endpoint(sagemaker, endpoint, expected_config)
        prediction = check_response(invoke(runtime, endpoint, sample_request()))
    except SmokeCheckFailure as failure:
        print(f"smoke check FAILED: {failure.message}", file=sys.stderr)
        return failure.exit_code
    print(
        f"smoke check OK: {endpoint} is {IN_SERVICE} on {expected_config} and predicted "
        f"{prediction:g} for one sample record",
        file=out,
    )
    return EXIT_OK


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.smoke_check",
        description="Check that an endpoint runs the expected config and answers one record.",
    )
    parser.add_argument("--endpoint", required=True, help="endpoint name (EndpointName output)")
    parser.add_argument(
        "--expected-config",
        required=True,
        help="endpoint config the rollout should have reached (EndpointConfigName output)",
    )
    parser.add_argument("--region", help="AWS region (default: the AWS configuration's)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        session = boto3.session.Session(region_name=args.region)
        sagemaker = session.client("sagemaker")
        runtime = session.client("sagemaker-runtime")
    except BotoCoreError as error:  # e.g. no region configured
        print(f"smoke check FAILED: {error}; pass --region", file=sys.stderr)
        return EXIT_USAGE
    return run(
        endpoint=args.endpoint,
        expected_config=args.expected_config,
        sagemaker=sagemaker,
        runtime=runtime,
        out=sys.stdout,
    )


if __name__ == "__main__":
    sys.exit(main())
