"""The drift job end to end against moto: baseline of the served model, a window of captures,
figures published to CloudWatch; and the local mode the tool uses."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from moto import mock_aws

import drift
import drift_metrics as names

from . import drift_data as data

REGION = "us-east-1"
BUCKET = "curated"
ENDPOINT = "ml-platform-prod-grades"
NAMESPACE = "Test/Drift"
EXECUTION_ID = "a1b2c3d4e5"
EXECUTION_ARN = f"arn:aws:sagemaker:{REGION}:123456789012:pipeline/p/execution/{EXECUTION_ID}"
END = datetime(2024, 5, 2, 10, 30, tzinfo=UTC)


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        clients = {
            n: boto3.client(n, region_name=REGION) for n in ("s3", "sagemaker", "cloudwatch")
        }
        clients["s3"].create_bucket(Bucket=BUCKET)
        yield clients


def _model_package(sagemaker, metadata):
    sagemaker.create_model_package_group(ModelPackageGroupName="grades")
    return sagemaker.create_model_package(
        ModelPackageGroupName="grades",
        CustomerMetadataProperties=metadata,
        InferenceSpecification={
            "Containers": [{"Image": "image:1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )["ModelPackageArn"]


def _put_captures(s3, hour: str, columns, name="part.jsonl", variant="AllTraffic"):
    lines = data.capture_lines(data.records_of(columns), data.predictions_of(columns))
    key = f"capture/{ENDPOINT}/{variant}/{hour}/{name}"
    s3.put_object(Bucket=BUCKET, Key=key, Body="\n".join(lines).encode())


def _args(model_package_arn, *extra):
    return [
        "--endpoint-name", ENDPOINT,
        "--capture-uri", f"s3://{BUCKET}/capture",
        "--model-package-arn", model_package_arn,
        "--processed-uri", f"s3://{BUCKET}/processed/",
        "--namespace", NAMESPACE,
        "--window-hours", "24",
        "--min-records", "200",
        "--end", END.isoformat(),
        "--region", REGION,
        *extra,
    ]  # fmt: skip


def _published(cloudwatch) -> dict[tuple[str, tuple], float]:
    figures = {}
    for metric in cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]:
        dimensions = tuple(sorted((d["Name"], d["Value"]) for d in metric["Dimensions"]))
        points = cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName=metric["MetricName"],
            Dimensions=metric["Dimensions"],
            StartTime=datetime(2024, 5, 1, tzinfo=UTC),
            EndTime=datetime(2024, 5, 3, tzinfo=UTC),
            Period=86400,
            Statistics=["Maximum"],
        )["Datapoints"]
        figures[(metric["MetricName"], dimensions)] = max(p["Maximum"] for p in points)
    return figures


def test_the_job_compares_the_window_with_the_served_models_baseline(aws, capsys):
    s3 = aws["s3"]
    baseline_key = f"processed/{EXECUTION_ID}/baseline/baseline.json"
    s3.put_object(Bucket=BUCKET, Key=baseline_key, Body=json.dumps(data.baseline_document()))
    arn = _model_package(aws["sagemaker"], {"pipeline_execution_arn": EXECUTION_ARN})
    shifted = data.older_students(data.generated_columns(600, seed=5))
    # Inside the window (the 24 whole hours before 10:00): two hours, two variants.
    _put_captures(s3, "2024/05/01/10", shifted)
    _put_captures(s3, "2024/05/02/09", shifted, variant="Blue")
    # Outside it: the current, unfinished hour, and the hour before the window.
    _put_captures(s3, "2024/05/02/10", data.generated_columns(50, seed=1))
    _put_captures(s3, "2024/05/01/09", data.generated_columns(50, seed=2))

    assert drift.main(_args(arn), clients=aws) == 0

    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["records"] == 1200 and report["window"]["files"] == 2
    assert report["most_shifted_feature"] == "age"
    endpoint = (names.ENDPOINT_DIMENSION, ENDPOINT)
    figures = _published(aws["cloudwatch"])
    assert figures[(names.RECORDS_COMPARED, (endpoint,))] == 1200
    assert figures[(names.UNREADABLE_CAPTURES, (endpoint,))] == 0
    assert figures[(names.OUT_OF_CONTRACT_SHARE, (endpoint,))] == 0
    assert figures[(names.MAX_FEATURE_PSI, (endpoint,))] == pytest.approx(report["max_feature_psi"])
    assert figures[(names.MAX_FEATURE_PSI, (endpoint,))] > 1
    age = tuple(sorted([endpoint, (names.FEATURE_DIMENSION, "age")]))
    assert figures[(names.FEATURE_PSI, age)] == pytest.approx(report["feature_psi"]["age"])
    feature_metrics = [key for key in figures if key[0] == names.FEATURE_PSI]
    assert len(feature_metrics) == len(data.FEATURES)
    assert (names.PREDICTION_PSI, (endpoint,)) in figures


def test_baselines_of_several_preprocessing_instances_are_merged(aws, capsys):
    s3 = aws["s3"]
    for host, seed in (("algo-1", 11), ("algo-2", 12)):
        document = data.baseline_document(rows=1500, seed=seed)
        key = f"processed/{EXECUTION_ID}/baseline/baseline-{host}.json"
        s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(document))
    arn = _model_package(aws["sagemaker"], {"pipeline_execution_arn": EXECUTION_ARN})
    _put_captures(s3, "2024/05/02/03", data.generated_columns(400, seed=5))

    assert drift.main(_args(arn), clients=aws) == 0

    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["records"] == 400
    assert report["max_feature_psi"] < 0.1


def test_a_window_without_captures_publishes_zero_records_and_no_psi(aws):
    s3 = aws["s3"]
    key = f"processed/{EXECUTION_ID}/baseline/baseline.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(data.baseline_document(rows=500)))
    arn = _model_package(aws["sagemaker"], {"pipeline_execution_arn": EXECUTION_ARN})

    assert drift.main(_args(arn), clients=aws) == 0

    figures = _published(aws["cloudwatch"])
    assert {name for name, _ in figures} == {names.RECORDS_COMPARED, names.UNREADABLE_CAPTURES}
    assert figures[(names.RECORDS_COMPARED, ((names.ENDPOINT_DIMENSION, ENDPOINT),))] == 0


def test_a_model_not_built_by_the_pipeline_fails_the_job_with_the_reason(aws, caplog):
    arn = _model_package(aws["sagemaker"], {"owner": "someone"})
    assert drift.main(_args(arn), clients=aws) == 1
    assert "has no 'pipeline_execution_arn' metadata" in caplog.text
    assert aws["cloudwatch"].list_metrics(Namespace=NAMESPACE)["Metrics"] == []


def test_a_missing_baseline_fails_the_job_with_its_location(aws, caplog):
    arn = _model_package(aws["sagemaker"], {"pipeline_execution_arn": EXECUTION_ARN})
    assert drift.main(_args(arn), clients=aws) == 1
    assert (
        f"no baseline*.json under s3://{BUCKET}/processed/{EXECUTION_ID}/baseline/" in caplog.text
    )


def test_local_mode_reads_files_and_publishes_nothing(tmp_path, capsys):
    columns = data.weaker_grades(data.generated_columns(300, seed=9))
    lines = data.capture_lines(data.records_of(columns), data.predictions_of(columns))
    (tmp_path / "captures" / "h").mkdir(parents=True)
    (tmp_path / "captures" / "h" / "a.jsonl").write_text("\n".join(lines))
    (tmp_path / "baseline.json").write_text(json.dumps(data.baseline_document(rows=800)))
    report_file = tmp_path / "out" / "report.json"

    status = drift.main(
        [
            *("--capture-dir", str(tmp_path / "captures")),
            *("--baseline-file", str(tmp_path / "baseline.json")),
            *("--min-records", "100", "--no-publish"),
            *("--report-file", str(report_file)),
        ]
    )

    assert status == 0
    report = json.loads(report_file.read_text())
    assert report == json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["records"] == 300 and report["prediction_psi"] > 0.2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--capture-dir", "c", "--baseline-file", "b"], "--namespace is required"),
        (
            ["--capture-dir", "c", "--model-package-arn", "a", "--no-publish"],
            "needs --processed-uri",
        ),
        (["--capture-uri", "s3://b/c", "--baseline-file", "b", "--no-publish"], "--endpoint-name"),
    ],
)
def test_incomplete_arguments_are_refused_with_the_missing_one(argv, message, capsys):
    with pytest.raises(SystemExit):
        drift.parse_args(argv)
    assert message in capsys.readouterr().err
