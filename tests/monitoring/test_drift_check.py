"""The scheduled drift check in AWS terms: a one-step pipeline inside the data key and the
platform's image, started on schedule, failures announced, least-privilege roles."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile

import pytest

from stacks.pipeline.sourcedir import build_sourcedir
from tests.infra.helpers import logical_id

from . import drift_data as data
from .templates import flat, resources, stage_config


def _definition(served_prod) -> dict:
    template = served_prod.template(served_prod.platform.monitoring)
    (pipeline,) = resources(template, "AWS::SageMaker::Pipeline")
    # References become <...> placeholders: the rest is the JSON SageMaker receives.
    body = flat(pipeline["PipelineDefinition"]["PipelineDefinitionBody"])
    return json.loads(body)


def _arguments(step: dict) -> dict[str, str]:
    values = step["Arguments"]["AppSpecification"]["ContainerArguments"]
    return dict(zip(values[::2], values[1::2], strict=True))


def test_the_check_is_one_processing_step_configured_from_the_stage(served_prod):
    config = stage_config("prod")
    drift = config.monitoring.drift
    (step,) = _definition(served_prod)["Steps"]
    assert step["Type"] == "Processing"
    cluster = step["Arguments"]["ProcessingResources"]["ClusterConfig"]
    assert (cluster["InstanceType"], cluster["InstanceCount"], cluster["VolumeSizeInGB"]) == (
        drift.instance_type, 1, drift.volume_size_gb
    )  # fmt: skip
    data_key = logical_id(served_prod.platform.data.keys.data)
    assert data_key in cluster["VolumeKmsKeyId"]  # student records on the volume: data key
    assert step["Arguments"]["StoppingCondition"]["MaxRuntimeInSeconds"] == (
        drift.max_runtime_minutes * 60
    )
    network = step["Arguments"]["NetworkConfig"]
    vpc = network.pop("VpcConfig", None)
    assert network == {
        "EnableNetworkIsolation": False,
        "EnableInterContainerTrafficEncryption": True,
    }
    # prod has a network: the job runs in its isolated subnets (tests/network checks the ids)
    workloads = served_prod.platform.network.workloads
    assert len(vpc["Subnets"]) == len(workloads.subnets)
    assert len(vpc["SecurityGroupIds"]) == len(workloads.security_groups)
    arguments = _arguments(step)
    serving = served_prod.platform.serving
    curated = logical_id(served_prod.platform.data.buckets.curated)
    assert arguments["--endpoint-name"] == serving.endpoint_name
    assert arguments["--model-package-arn"] == serving.package.arn
    assert re.fullmatch(rf"s3://<.*{curated}.*>/capture", arguments["--capture-uri"])
    assert re.fullmatch(rf"s3://<.*{curated}.*>/processed", arguments["--processed-uri"])
    assert arguments["--namespace"] == drift.namespace
    assert arguments["--window-hours"] == str(drift.window_hours)
    assert arguments["--min-records"] == str(drift.min_records)


def test_the_job_runs_drift_py_from_the_scripts_tarball_in_the_platforms_image(served_prod):
    (step,) = _definition(served_prod)["Steps"]
    app = step["Arguments"]["AppSpecification"]
    (code,) = step["Arguments"]["ProcessingInputs"]
    tarball = code["S3Input"]["S3Uri"].rsplit("/", 1)[-1]
    assert code["S3Input"]["LocalPath"] == "/opt/ml/processing/input/code"
    assert app["ContainerEntrypoint"][:2] == ["/bin/sh", "-c"]
    assert f"tar -xzf /opt/ml/processing/input/code/{tarball} " in app["ContainerEntrypoint"][2]
    assert "python3 /opt/ml/processing/source/drift.py" in app["ContainerEntrypoint"][2]
    assert app["ImageUri"].endswith("/sagemaker-scikit-learn:1.4-2-cpu-py3")


def test_the_image_is_the_one_the_sagemaker_sdk_names_for_the_pinned_version(served_prod):
    from stacks.pipeline.offline_sdk import offline_sdk

    (step,) = _definition(served_prod)["Steps"]
    image = step["Arguments"]["AppSpecification"]["ImageUri"].replace(
        "<AWS::URLSuffix>", "amazonaws.com"
    )
    with offline_sdk():
        from sagemaker import image_uris

        expected = image_uris.retrieve(
            "sklearn", "us-east-1", version="1.4-2", py_version="py3", instance_type="ml.t3.medium"
        )
    assert image == expected


def test_the_shipped_tarball_runs_the_check_with_its_own_files(tmp_path):
    # What the entrypoint does in the container: unpack, run drift.py from the folder.
    with tarfile.open(build_sourcedir()) as archive:
        archive.extractall(tmp_path / "source", filter="data")
    columns = data.generated_columns(300, seed=4)
    (tmp_path / "captures").mkdir()
    lines = data.capture_lines(data.records_of(columns), data.predictions_of(columns))
    (tmp_path / "captures" / "part.jsonl").write_text("\n".join(lines))
    (tmp_path / "baseline.json").write_text(json.dumps(data.baseline_document(rows=600)))
    result = subprocess.run(
        [
            sys.executable, str(tmp_path / "source" / "drift.py"),
            "--capture-dir", str(tmp_path / "captures"),
            "--baseline-file", str(tmp_path / "baseline.json"),
            "--min-records", "100", "--no-publish",
        ],
        capture_output=True, text=True, check=False, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["records"] == 300 and report["max_feature_psi"] < 0.2


def test_a_schedule_starts_the_pipeline_with_a_role_that_may_only_start_it(served_prod):
    monitoring = served_prod.platform.monitoring
    template = served_prod.template(monitoring)
    drift = stage_config("prod").monitoring.drift
    schedule = template["Resources"][logical_id(monitoring.drift.schedule)]["Properties"]
    expected = "rate(1 day)" if drift.window_hours == 24 else f"rate({drift.window_hours} hours)"
    assert schedule["ScheduleExpression"] == expected
    (target,) = schedule["Targets"]
    assert flat(target["Arn"]).endswith(f":pipeline/{monitoring.drift.pipeline_name}")
    assert logical_id(monitoring.drift.schedule_role) in flat(target["RoleArn"])
    policy = template["Resources"][logical_id(monitoring.drift.schedule_policy)]["Properties"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == "sagemaker:StartPipelineExecution"
    assert flat(statement["Resource"]) == flat(target["Arn"])


def test_a_failed_or_stopped_check_is_announced_with_its_execution_arn(served_prod):
    monitoring = served_prod.platform.monitoring
    template = served_prod.template(monitoring)
    rule = template["Resources"][logical_id(monitoring.drift.failure_rule)]["Properties"]
    pattern = rule["EventPattern"]
    assert pattern["detail-type"] == ["SageMaker Model Building Pipeline Execution Status Change"]
    assert pattern["detail"]["currentPipelineExecutionStatus"] == ["Failed", "Stopped"]
    assert flat(pattern["detail"]["pipelineArn"][0]).endswith(
        f":pipeline/{monitoring.drift.pipeline_name}"
    )
    (target,) = rule["Targets"]
    assert logical_id(served_prod.platform.alerts.topic) in flat(target["Arn"])
    transformer = target["InputTransformer"]
    assert "$.detail.pipelineExecutionArn" in transformer["InputPathsMap"].values()
    assert "Check first" in transformer["InputTemplate"]


def _statements(template: dict, policy) -> dict[str, dict]:
    properties = template["Resources"][logical_id(policy)]["Properties"]
    return {s["Sid"]: s for s in properties["PolicyDocument"]["Statement"]}


def test_the_job_reads_only_this_endpoints_captures_and_the_baselines(served_prod):
    monitoring = served_prod.platform.monitoring
    template = served_prod.template(monitoring)
    statements = _statements(template, monitoring.drift.job_policy)
    endpoint = served_prod.platform.serving.endpoint_name
    curated = logical_id(served_prod.platform.data.buckets.curated)
    reads = {
        sid: flat(s["Resource"])
        for sid, s in statements.items()
        if "s3:GetObject" in s["Action"] or s["Action"] == "s3:GetObject"
    }
    assert set(reads) == {"ReadCode", "ReadCaptures", "ReadBaselines"}
    assert re.fullmatch(rf"<.*{curated}.*>/capture/{endpoint}/\*", reads["ReadCaptures"])
    assert re.fullmatch(rf"<.*{curated}.*>/processed/\*/baseline/\*", reads["ReadBaselines"])
    writes = [s for s in statements.values() if "s3:PutObject" in json.dumps(s["Action"])]
    assert writes == []  # the job writes nothing to S3: its figures go to CloudWatch
    assert statements["FindTheServedModelsPipelineRun"]["Resource"] == (
        served_prod.platform.serving.package.arn
    )
    metrics = statements["PutDriftMetrics"]
    assert metrics["Condition"]["StringEquals"]["cloudwatch:namespace"] == [
        stage_config("prod").monitoring.drift.namespace,
        "/aws/sagemaker/ProcessingJobs",
    ]
    for statement in statements.values():
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in action for action in actions), statement["Sid"]


def test_the_pipeline_may_start_only_encrypted_jobs_with_the_job_role(served_prod):
    monitoring = served_prod.platform.monitoring
    template = served_prod.template(monitoring)
    statements = _statements(template, monitoring.drift.pipeline_policy)
    start = statements["StartDriftJobsOnlyEncrypted"]
    assert start["Condition"]["Bool"] == {"sagemaker:InterContainerTrafficEncryption": "true"}
    data_key = logical_id(served_prod.platform.data.keys.data)
    assert data_key in flat(start["Condition"]["ArnEquals"]["sagemaker:VolumeKmsKey"])
    passed = statements["PassOnlyTheJobRoleToSageMaker"]
    assert flat(passed["Resource"]) == f"<{logical_id(monitoring.drift.job_role)}.Arn>"


@pytest.mark.parametrize("fixture", ["dev", "prod", "served_dev"])
def test_stages_without_captured_data_have_no_drift_check(fixture, request):
    synth = request.getfixturevalue(fixture)
    template = synth.template(synth.platform.monitoring)
    assert synth.platform.monitoring.drift is None
    assert resources(template, "AWS::SageMaker::Pipeline") == []
    assert resources(template, "AWS::Events::Rule") == []
