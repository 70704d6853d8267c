"""The deployed pipeline definition, parsed from the synthesized template of the dev stage."""

from __future__ import annotations

import posixpath

import pytest

from stacks.pipeline import definition as names

from .conftest import all_steps, ref, references

JOB_STEPS = (names.PREPROCESS_STEP, names.TRAIN_STEP, names.EVALUATE_STEP)
REGISTER = f"{names.REGISTER_STEP}-RegisterModel"
EXECUTION_ID = {"Get": "Execution.PipelineExecutionId"}


@pytest.fixture(scope="module")
def steps(definition):
    return all_steps(definition)


@pytest.fixture(scope="module")
def parameters(definition):
    return {parameter["Name"]: parameter for parameter in definition["Parameters"]}


@pytest.fixture(scope="module")
def code_uri(steps):
    (code,) = [
        item["S3Input"]["S3Uri"]
        for item in steps[names.PREPROCESS_STEP]["Arguments"]["ProcessingInputs"]
        if item["InputName"] == "code"
    ]
    return code


def _processing_inputs(step):
    return {item["InputName"]: item["S3Input"] for item in step["Arguments"]["ProcessingInputs"]}


def _processing_outputs(step):
    config = step["Arguments"]["ProcessingOutputConfig"]
    return {item["OutputName"]: item["S3Output"] for item in config["Outputs"]}


def test_steps_run_preprocess_train_evaluate_then_the_quality_gate(definition, steps):
    assert [(s["Name"], s["Type"]) for s in definition["Steps"]] == [
        ("Preprocess", "Processing"), ("Train", "Training"), ("Evaluate", "Processing"),
        ("QualityGate", "Condition"),
    ]  # fmt: skip
    gate = steps[names.QUALITY_GATE_STEP]["Arguments"]
    assert [s["Name"] for s in gate["IfSteps"]] == [REGISTER]
    assert [(s["Name"], s["Type"]) for s in gate["ElseSteps"]] == [("QualityGateFailed", "Fail")]


def test_each_step_depends_on_the_outputs_of_the_one_before(steps):
    def own_arguments(step):  # a condition's branches are steps of their own
        arguments = step["Arguments"]
        return arguments["Conditions"] if step["Type"] == "Condition" else arguments

    step_reads = {
        name: {path.split(".")[1] for path in references(own_arguments(step))
               if path.startswith("Steps.")}
        for name, step in steps.items()
    }  # fmt: skip
    assert step_reads == {
        "Preprocess": set(),
        "Train": {"Preprocess"},
        "Evaluate": {"Preprocess", "Train"},
        "QualityGate": {"Evaluate"},
        REGISTER: {"Train", "Evaluate"},
        "QualityGateFailed": {"Evaluate"},
    }
    train_reads = references(steps["Train"]["Arguments"])
    assert {
        "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri",
        "Steps.Preprocess.ProcessingOutputConfig.Outputs['validation'].S3Output.S3Uri",
    } <= train_reads
    evaluate_inputs = _processing_inputs(steps["Evaluate"])
    assert evaluate_inputs["model"]["S3Uri"] == {
        "Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"
    }
    assert evaluate_inputs["test"]["S3Uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"
    }


def test_parameters_and_their_defaults_come_from_the_stage_config(parameters, dev_config):
    settings = dev_config.pipeline
    assert {name: (p["Type"], p.get("DefaultValue")) for name, p in parameters.items()} == {
        # Required: validated/ also holds the validation reports, so no prefix is a safe default.
        "InputDataUrl": ("String", None),
        "PreprocessInstanceType": ("String", settings.preprocess.instance_type),
        "PreprocessInstanceCount": ("Integer", settings.preprocess.instance_count),
        "TrainInstanceType": ("String", settings.train.instance_type),
        "TrainInstanceCount": ("Integer", settings.train.instance_count),
        "EvaluateInstanceType": ("String", settings.evaluate.instance_type),
        "RmseThreshold": ("Float", settings.quality_gate.max_rmse),
        "FairnessGapThreshold": ("Float", settings.quality_gate.max_fairness_gap),
        "ModelApprovalStatus": ("String", "PendingManualApproval"),
    }


def test_jobs_take_instance_types_and_counts_from_the_parameters(steps):
    def cluster(name):
        return steps[name]["Arguments"]["ProcessingResources"]["ClusterConfig"]

    assert cluster("Preprocess")["InstanceType"] == {"Get": "Parameters.PreprocessInstanceType"}
    assert cluster("Preprocess")["InstanceCount"] == {"Get": "Parameters.PreprocessInstanceCount"}
    assert cluster("Evaluate")["InstanceType"] == {"Get": "Parameters.EvaluateInstanceType"}
    assert cluster("Evaluate")["InstanceCount"] == 1  # one report for the whole test split
    resources = steps["Train"]["Arguments"]["ResourceConfig"]
    assert resources["InstanceType"] == {"Get": "Parameters.TrainInstanceType"}
    assert resources["InstanceCount"] == {"Get": "Parameters.TrainInstanceCount"}


def test_the_quality_gate_compares_the_evaluation_report_with_both_thresholds(steps):
    report = {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"}
    assert steps["QualityGate"]["Arguments"]["Conditions"] == [
        {
            "Type": "LessThanOrEqualTo",
            "LeftValue": {"Std:JsonGet": {"PropertyFile": report,
                                          "Path": "regression_metrics.rmse.value"}},
            "RightValue": {"Get": "Parameters.RmseThreshold"},
        },
        {
            "Type": "LessThan",
            "LeftValue": {"Std:JsonGet": {"PropertyFile": report,
                                          "Path": "regression_metrics.rmse.value"}},
            "RightValue": {"Std:JsonGet": {"PropertyFile": report,
                                           "Path": "baselines.predict_g2.rmse"}},
        },
        {
            "Type": "LessThanOrEqualTo",
            "LeftValue": {"Std:JsonGet": {"PropertyFile": report,
                                          "Path": "fairness.largest_gap.value"}},
            "RightValue": {"Get": "Parameters.FairnessGapThreshold"},
        },
        {
            "Type": "GreaterThanOrEqualTo",
            "LeftValue": {"Std:JsonGet": {"PropertyFile": report,
                                          "Path": "fairness.largest_gap.attributes_compared"}},
            "RightValue": 1,
        },
    ]  # fmt: skip
    assert steps["Evaluate"]["PropertyFiles"] == [
        {"PropertyFileName": "EvaluationReport", "OutputName": "evaluation",
         "FilePath": "evaluation.json"}
    ]  # fmt: skip
    output = _processing_outputs(steps["Evaluate"])["evaluation"]
    assert output["LocalPath"] == "/opt/ml/processing/output/evaluation"


def test_the_json_paths_the_gate_reads_are_what_the_metrics_code_writes():
    import numpy as np

    from metrics import baseline_report, fairness_report, regression_report

    actual = np.array([10.0, 12.0, 14.0, 8.0])
    predicted = np.array([11.0, 12.0, 13.0, 9.0])
    report = {
        "regression_metrics": regression_report(actual, predicted, samples=5, seed=0),
        "fairness": fairness_report(
            actual, predicted, {"sex": ["F", "M", "F", "M"]}, min_group_size=1,
            orders={"sex": ["F", "M"]},
        ),
    }  # fmt: skip
    report["baselines"] = baseline_report(
        actual, g2=np.array([10.0, 11.0, 14.0, 8.0]), train_mean=11.0
    )
    gate_paths = (
        names.RMSE_JSON_PATH,
        names.FAIRNESS_GAP_JSON_PATH,
        names.BASELINE_RMSE_JSON_PATH,
        names.FAIRNESS_COMPARED_JSON_PATH,
    )
    for path in gate_paths:
        value = report
        for key in path.split("."):
            value = value[key]
        # numbers the condition step can compare (a bool is an int in Python: refuse it)
        assert isinstance(value, int | float) and not isinstance(value, bool), path


def test_a_rejected_model_fails_the_execution_with_the_measured_values(steps):
    message = steps["QualityGateFailed"]["Arguments"]["ErrorMessage"]["Std:Join"]["Values"]
    measured = [
        v["Std:JsonGet"]["Path"] for v in message if isinstance(v, dict) and "Std:JsonGet" in v
    ]
    thresholds = [v["Get"] for v in message if isinstance(v, dict) and "Get" in v]
    assert measured == [
        "regression_metrics.rmse.value",
        "baselines.predict_g2.rmse",
        "fairness.largest_gap.value",
        "fairness.largest_gap.attributes_compared",
    ]
    assert thresholds == ["Parameters.RmseThreshold", "Parameters.FairnessGapThreshold"]


@pytest.mark.parametrize(
    ("step", "role", "output_key"),
    [("Preprocess", "preprocess_role", "data"), ("Train", "train_role", "platform"),
     ("Evaluate", "evaluate_role", "platform")],
)  # fmt: skip
def test_each_job_runs_as_its_own_role_with_the_platform_keys(
    steps, pipeline_stack, dev, step, role, output_key
):
    keys = dev.platform.data.keys
    arguments = steps[step]["Arguments"]
    assert arguments["RoleArn"] == ref(getattr(pipeline_stack, role), "Arn")
    data_key, wanted_output_key = ref(keys.data, "Arn"), ref(getattr(keys, output_key), "Arn")
    if step == "Train":
        assert arguments["ResourceConfig"]["VolumeKmsKeyId"] == data_key
        assert arguments["OutputDataConfig"]["KmsKeyId"] == wanted_output_key
    else:
        cluster = arguments["ProcessingResources"]["ClusterConfig"]
        assert cluster["VolumeKmsKeyId"] == data_key  # student records on every volume
        assert arguments["ProcessingOutputConfig"]["KmsKeyId"] == wanted_output_key


@pytest.mark.parametrize("step", JOB_STEPS)
def test_every_job_is_network_isolated_encrypted_in_transit_and_time_boxed(steps, dev_config, step):
    arguments = steps[step]["Arguments"]
    network = arguments if step == "Train" else arguments["NetworkConfig"]
    assert network["EnableNetworkIsolation"] is True
    assert network["EnableInterContainerTrafficEncryption"] is True
    assert "VpcConfig" not in arguments and "VpcConfig" not in network  # dev has no network yet
    job_settings = getattr(dev_config.pipeline, step.lower())
    assert arguments["StoppingCondition"] == {
        "MaxRuntimeInSeconds": job_settings.max_runtime_minutes * 60
    }


@pytest.mark.parametrize("step", JOB_STEPS)
def test_every_job_retries_throttling_and_capacity_errors_and_is_cached(steps, dev_config, step):
    retries = {
        tuple(sorted(policy["ExceptionType"])): policy for policy in steps[step]["RetryPolicies"]
    }
    assert set(retries) == {
        ("Step.SERVICE_FAULT", "Step.THROTTLING"),
        ("SageMaker.CAPACITY_ERROR", "SageMaker.JOB_INTERNAL_ERROR", "SageMaker.RESOURCE_LIMIT"),
    }
    for policy in retries.values():
        assert policy["MaxAttempts"] > 1 and policy["BackoffRate"] > 1
    assert steps[step]["CacheConfig"] == {
        "Enabled": True, "ExpireAfter": dev_config.pipeline.cache_expire_after
    }  # fmt: skip


def test_preprocessing_shards_its_input_and_writes_every_split_per_execution(steps, dev):
    inputs = _processing_inputs(steps["Preprocess"])
    assert inputs["data"]["S3Uri"] == {"Get": "Parameters.InputDataUrl"}
    assert inputs["data"]["S3DataDistributionType"] == "ShardedByS3Key"
    assert inputs["data"]["LocalPath"] == "/opt/ml/processing/input/data"
    curated = ref(dev.platform.data.buckets.curated)
    outputs = _processing_outputs(steps["Preprocess"])
    assert set(outputs) == {"train", "validation", "test", "baseline", "report"}
    for split, output in outputs.items():
        assert output["LocalPath"] == f"/opt/ml/processing/output/{split}"
        assert output["S3Uri"] == {
            "Std:Join": {"On": "/", "Values": [f"s3://{curated}/processed", EXECUTION_ID, split]}
        }


@pytest.mark.parametrize(("step", "script"), [("Preprocess", "preprocess.py"),
                                              ("Evaluate", "evaluate.py")])  # fmt: skip
def test_processing_jobs_unpack_the_source_dir_and_run_their_script(steps, code_uri, step, script):
    code = _processing_inputs(steps[step])["code"]
    assert code["S3Uri"] == code_uri
    assert code["LocalPath"] == "/opt/ml/processing/input/code"
    shell, flag, command, arg0 = steps[step]["Arguments"]["AppSpecification"]["ContainerEntrypoint"]
    assert (shell, flag, arg0) == ("/bin/sh", "-c", script)
    tarball = posixpath.basename(code_uri)
    assert (
        f"tar -xzf /opt/ml/processing/input/code/{tarball} -C /opt/ml/processing/source" in command
    )
    assert command.endswith(f'exec python3 /opt/ml/processing/source/{script} "$@"')


def test_source_dir_is_the_synthesized_sourcedir_tarball_asset(code_uri, dev):
    bucket, key = code_uri.removeprefix("s3://").split("/", 1)
    assert bucket.startswith("cdk-hnb659fds-assets-")
    (asset,) = [item for item in _file_assets(dev) if item["key"] == key]
    assert asset["path"].endswith(".tar.gz")
    staged = (dev.directory / asset["path"]).read_bytes()
    from stacks.pipeline.sourcedir import tarball_bytes

    assert staged == tarball_bytes(), "the deployed tarball is the current training_scripts/"


def _file_assets(dev):
    import json

    manifest = dev.directory / f"{dev.platform.pipeline.stack_name}.assets.json"
    files = json.loads(manifest.read_text())["files"]
    return [
        {"path": item["source"]["path"], "key": destination["objectKey"]}
        for item in files.values()
        for destination in item["destinations"].values()
    ]


def test_training_runs_train_py_from_the_code_channel_with_the_configured_hyperparameters(
    steps, dev_config, code_uri, dev
):
    arguments = steps["Train"]["Arguments"]
    channels = {c["ChannelName"]: c for c in arguments["InputDataConfig"]}
    assert set(channels) == {"train", "validation", "code"}
    assert channels["code"]["DataSource"]["S3DataSource"]["S3Uri"] == code_uri
    hyper = arguments["HyperParameters"]
    assert hyper["sagemaker_program"] == "train.py"
    assert hyper["sagemaker_submit_directory"] == (
        f"/opt/ml/input/data/code/{posixpath.basename(code_uri)}"
    )
    tuned = {k: v for k, v in hyper.items() if not k.startswith("sagemaker_")}
    assert tuned == dev_config.pipeline.hyperparameters.as_arguments()
    assert set(tuned) == {"n-estimators", "learning-rate", "max-depth", "seed"}
    artifacts = ref(dev.platform.data.buckets.artifacts)
    assert arguments["OutputDataConfig"]["S3OutputPath"] == f"s3://{artifacts}/models"


def test_every_job_and_the_model_run_the_pinned_scikit_learn_image(steps, dev_config):
    from framework import SKLEARN_FRAMEWORK_VERSION

    images = {
        steps["Preprocess"]["Arguments"]["AppSpecification"]["ImageUri"],
        steps["Evaluate"]["Arguments"]["AppSpecification"]["ImageUri"],
        steps["Train"]["Arguments"]["AlgorithmSpecification"]["TrainingImage"],
        *(c["Image"] for c in steps[REGISTER]["Arguments"]["InferenceSpecification"]["Containers"]),
    }
    (image,) = images
    registry, repository = image.split("/", 1)
    assert registry.endswith(f".dkr.ecr.{dev_config.region}.amazonaws.com")
    assert repository == f"sagemaker-scikit-learn:{SKLEARN_FRAMEWORK_VERSION}-cpu-py3"


def test_registered_model_serves_inference_py_from_the_code_inside_the_model(steps, pipeline_stack):
    arguments = steps[REGISTER]["Arguments"]
    assert arguments["ModelPackageGroupName"] == pipeline_stack.model_package_group_name
    assert arguments["ModelApprovalStatus"] == {"Get": "Parameters.ModelApprovalStatus"}
    (container,) = arguments["InferenceSpecification"]["Containers"]
    assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    # train.py writes the serving code into model.tar.gz: nothing else to download at start-up
    assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
    spec = arguments["InferenceSpecification"]
    assert spec["SupportedContentTypes"] == ["text/csv", "application/json"]
    assert spec["SupportedResponseMIMETypes"] == ["application/json"]


def test_registered_model_carries_its_evaluation_report_and_gate_values(steps, dev):
    arguments = steps[REGISTER]["Arguments"]
    statistics = arguments["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["ContentType"] == "application/json"
    evaluation_output = _processing_outputs(steps["Evaluate"])["evaluation"]["S3Uri"]
    artifacts = ref(dev.platform.data.buckets.artifacts)
    assert evaluation_output == {
        "Std:Join": {"On": "/", "Values": [f"s3://{artifacts}/evaluation", EXECUTION_ID]}
    }
    assert statistics["S3Uri"] == {
        "Std:Join": {"On": "/", "Values": [evaluation_output, "evaluation.json"]}
    }
    metadata = arguments["CustomerMetadataProperties"]
    assert references(metadata["quality_gate_max_rmse"]) == {"Parameters.RmseThreshold"}
    assert references(metadata["quality_gate_max_fairness_gap"]) == {
        "Parameters.FairnessGapThreshold"
    }
    assert references(metadata["measured_rmse"]) == {
        "Steps.Evaluate.PropertyFiles.EvaluationReport"
    }
    assert references(metadata["pipeline_execution_arn"]) == {"Execution.PipelineExecutionArn"}


def test_no_experiment_tracking_is_requested(definition):
    # It would need sagemaker:CreateExperiment and friends, which the pipeline role lacks.
    assert definition.get("PipelineExperimentConfig") is None
