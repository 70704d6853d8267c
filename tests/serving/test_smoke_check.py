"""tools.smoke_check offline: botocore's Stubber plays SageMaker and the SageMaker runtime."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from contract import load_contract
from tools import smoke_check

ENDPOINT = "ml-platform-prod-grades"
CONFIG = "EndpointConfig24AD0A28-new"
CLIENT = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "y"}


def _description(status: str = "InService", config: str = CONFIG, **extra) -> dict:
    return {
        "EndpointName": ENDPOINT,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "CreationTime": "2024-06-01T00:00:00Z",
        "LastModifiedTime": "2024-06-01T00:00:00Z",
        **extra,
    }


def _answer(body: bytes) -> dict:
    return {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentType": "application/json"}


@pytest.fixture
def clients():
    sagemaker = boto3.client("sagemaker", **CLIENT)
    runtime = boto3.client("sagemaker-runtime", **CLIENT)
    with Stubber(sagemaker) as sagemaker_stub, Stubber(runtime) as runtime_stub:
        yield sagemaker, sagemaker_stub, runtime, runtime_stub
        sagemaker_stub.assert_no_pending_responses()
        runtime_stub.assert_no_pending_responses()


def _run(clients) -> tuple[int, str]:
    sagemaker, _, runtime, _ = clients
    out = io.StringIO()
    code = smoke_check.run(
        endpoint=ENDPOINT, expected_config=CONFIG, sagemaker=sagemaker, runtime=runtime, out=out
    )
    return code, out.getvalue()


def _expect_describe(clients, response: dict) -> None:
    clients[1].add_response("describe_endpoint", response, {"EndpointName": ENDPOINT})


def _expect_invoke(clients, body: bytes) -> None:
    clients[3].add_response(
        "invoke_endpoint",
        _answer(body),
        {
            "EndpointName": ENDPOINT,
            "ContentType": "application/json",
            "Accept": "application/json",
            "Body": ANY,
        },
    )


def test_sample_request_is_one_record_of_the_contracts_features():
    document = json.loads(smoke_check.sample_request())
    (record,) = document["instances"]
    contract = load_contract()
    assert list(record) == [name for name in contract.column_names if name != contract.target]
    for column in contract.columns:
        if column.name in record:
            assert column.accepts(record[column.name]), (column.name, record[column.name])


def test_in_service_on_the_expected_config_with_a_valid_prediction_passes(clients, capsys):
    _expect_describe(clients, _description())
    _expect_invoke(clients, b'{"predictions": [11.25]}')
    code, out = _run(clients)
    assert code == smoke_check.EXIT_OK
    assert out == (
        f"smoke check OK: {ENDPOINT} is InService on {CONFIG} and predicted 11.25 "
        "for one sample record\n"
    )


def test_the_request_sent_is_the_sample_record(clients):
    _expect_describe(clients, _description())
    clients[3].add_response(
        "invoke_endpoint",
        _answer(b'{"predictions": [9]}'),
        {
            "EndpointName": ENDPOINT,
            "ContentType": "application/json",
            "Accept": "application/json",
            "Body": smoke_check.sample_request(),
        },
    )
    assert _run(clients)[0] == smoke_check.EXIT_OK


@pytest.mark.parametrize(
    ("description", "code", "message"),
    [
        (
            _description("Updating"),
            smoke_check.EXIT_NOT_IN_SERVICE,
            "is Updating, not InService; wait until it is InService and run again",
        ),
        (
            _description("Failed", FailureReason="image pull failed"),
            smoke_check.EXIT_NOT_IN_SERVICE,
            "is Failed, not InService: image pull failed",
        ),
        (
            _description("InService", config="EndpointConfig24AD0A28-old"),
            smoke_check.EXIT_WRONG_CONFIG,
            "is InService on endpoint config 'EndpointConfig24AD0A28-old', expected "
            f"'{CONFIG}': the rollout was rolled back",
        ),
    ],
)
def test_an_endpoint_not_on_the_expected_config_fails_before_invoking(
    clients, capsys, description, code, message
):
    _expect_describe(clients, description)
    assert _run(clients) == (code, "")
    assert message in capsys.readouterr().err


def test_a_missing_endpoint_is_not_in_service(clients, capsys):
    clients[1].add_client_error(
        "describe_endpoint",
        service_error_code="ValidationException",
        service_message=f"Could not find endpoint {ENDPOINT}.",
        expected_params={"EndpointName": ENDPOINT},
    )
    assert _run(clients)[0] == smoke_check.EXIT_NOT_IN_SERVICE
    assert "Could not find endpoint" in capsys.readouterr().err


def test_a_model_error_is_an_invocation_failure(clients, capsys):
    _expect_describe(clients, _description())
    clients[3].add_client_error(
        "invoke_endpoint",
        service_error_code="ModelError",
        service_message="Received server error (500) from primary",
        http_status_code=424,
    )
    assert _run(clients)[0] == smoke_check.EXIT_INVOCATION_FAILED
    assert "Received server error (500)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>", "response is not JSON"),
        (b'{"prediction": 3}', 'response is not {"predictions": [...]}'),
        (b'{"predictions": []}', "expected one prediction for one record"),
        (b'{"predictions": [1, 2]}', "expected one prediction for one record"),
        (b'{"predictions": ["12"]}', "prediction '12' is not a finite number"),
        (b'{"predictions": [true]}', "prediction True is not a finite number"),
        (b'{"predictions": [NaN]}', "prediction nan is not a finite number"),
        (b'{"predictions": [27.5]}', "prediction 27.5 is outside G3's range 0..20"),
    ],
)
def test_a_response_that_is_not_one_valid_prediction_fails(clients, capsys, body, message):
    _expect_describe(clients, _description())
    _expect_invoke(clients, body)
    assert _run(clients)[0] == smoke_check.EXIT_BAD_RESPONSE
    assert message in capsys.readouterr().err


def test_missing_arguments_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        smoke_check.main(["--endpoint", ENDPOINT])
    assert exit_info.value.code == smoke_check.EXIT_USAGE
    assert "--expected-config" in capsys.readouterr().err
