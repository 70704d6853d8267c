"""Build the training pipeline's definition (JSON) with the SageMaker Python SDK v2, offline.

Steps: Preprocess (processing) -> Train (training) -> Evaluate (processing, ``evaluation.json``
as a property file) -> QualityGate (condition: RMSE <= threshold AND largest fairness gap <=
threshold) -> Register (model package, pending manual approval by default) or QualityGateFailed
(fail step whose message carries the measured values).

Every value comes from ``DefinitionSpec`` as a plain string: the stack passes placeholders
(see ``placeholders.py``) where CloudFormation tokens go, because the SDK parses S3 URIs and
role ARNs and cannot take CDK tokens. See ``offline_sdk.py`` for why SDK v2 and how it runs
without network.

No job makes the SDK upload code. The source dir is one tarball already in S3 (a CDK asset):
- processing jobs run a plain ``Processor`` with the sklearn image; the tarball is a processing
  input and the entrypoint unpacks it and runs the script (``ScriptProcessor`` and
  ``FrameworkProcessor`` would upload the script and a generated runner);
- the training job is a generic ``Estimator`` with the sklearn image in script mode, the tarball
  as a ``code`` channel and ``sagemaker_submit_directory`` pointing at it inside the container,
  as the SDK itself does for network-isolated jobs. Not the ``SKLearn`` estimator: it refuses an
  instance count other than 1 and a parameterised one, and it would expect the channel file to be
  named ``sourcedir.tar.gz`` whereas a CDK asset key is ``<hash>.gz``;
- the registered model is a generic ``Model`` whose environment names ``inference.py`` and the
  same tarball, so serving runs the same preprocessing code as training.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .offline_sdk import offline_sdk, pipeline_session

# Step names: also the names in the pipeline's execution history and events.
PREPROCESS_STEP = "Preprocess"
TRAIN_STEP = "Train"
EVALUATE_STEP = "Evaluate"
QUALITY_GATE_STEP = "QualityGate"
REGISTER_STEP = "Register"  # the SDK's ModelStep emits it as "Register-RegisterModel"
FAIL_STEP = "QualityGateFailed"

# Pipeline parameters: names are an interface (the validator Lambda starts executions with
# InputDataUrl; operators override the others per execution).
INPUT_DATA_URL = "InputDataUrl"
PREPROCESS_INSTANCE_TYPE = "PreprocessInstanceType"
PREPROCESS_INSTANCE_COUNT = "PreprocessInstanceCount"
TRAIN_INSTANCE_TYPE = "TrainInstanceType"
TRAIN_INSTANCE_COUNT = "TrainInstanceCount"
EVALUATE_INSTANCE_TYPE = "EvaluateInstanceType"
RMSE_THRESHOLD = "RmseThreshold"
FAIRNESS_GAP_THRESHOLD = "FairnessGapThreshold"
MODEL_APPROVAL_STATUS = "ModelApprovalStatus"

# The script contract with training_scripts/ (paths inside the containers).
PREPROCESS_SCRIPT = "preprocess.py"
TRAIN_SCRIPT = "train.py"
EVALUATE_SCRIPT = "evaluate.py"
INFERENCE_SCRIPT = "inference.py"
PROCESSING_DATA_DIR = "/opt/ml/processing/input/data"
PROCESSING_MODEL_DIR = "/opt/ml/processing/input/model"
PROCESSING_TEST_DIR = "/opt/ml/processing/input/test"
PROCESSING_CODE_DIR = "/opt/ml/processing/input/code"
PROCESSING_OUTPUT_DIR = "/opt/ml/processing/output"
PROCESSING_SOURCE_DIR = "/opt/ml/processing/source"  # where the entrypoint unpacks the tarball
# "report" (rows kept and rejected by reason) is kept too: rejected rows must not vanish unseen.
PREPROCESS_OUTPUTS = ("train", "validation", "test", "baseline", "report")
TRAINING_CHANNELS = ("train", "validation")
TRAINING_CODE_CHANNEL = "code"
TRAINING_CODE_DIR = f"/opt/ml/input/data/{TRAINING_CODE_CHANNEL}"
EVALUATION_OUTPUT = "evaluation"
EVALUATION_FILE = "evaluation.json"
EVALUATION_PROPERTY_FILE = "EvaluationReport"
RMSE_JSON_PATH = "regression_metrics.rmse.value"
FAIRNESS_GAP_JSON_PATH = "fairness.largest_gap.value"
# Where the serving container finds inference.py: the code/ folder train.py writes into the model.
MODEL_CODE_DIR = "/opt/ml/model/code"
# How many sensitive attributes had two groups large enough to compare: at least one is required.
FAIRNESS_COMPARED_JSON_PATH = "fairness.largest_gap.attributes_compared"
# The naive baseline a model must beat: predicting the final grade as the second-period grade.
BASELINE_RMSE_JSON_PATH = "baselines.predict_g2.rmse"
DATA_CONTENT_TYPE = "text/csv"
# inference.py's input_fn and output_fn.
INFERENCE_CONTENT_TYPES = ("text/csv", "application/json")
INFERENCE_RESPONSE_TYPES = ("application/json",)
# train.py logs "train_rmse=<x>;" and "validation_rmse=<x>;": recorded as job metrics.
TRAINING_METRICS = (
    {"Name": "train:rmse", "Regex": "train_rmse=([0-9.]+);"},
    {"Name": "validation:rmse", "Regex": "validation_rmse=([0-9.]+);"},
)

# Retries. Throttling and service faults of the step's own API calls: quick, several times.
# Job-level capacity and internal errors: SageMaker needs minutes to free capacity.
API_RETRY_ATTEMPTS, API_RETRY_INTERVAL_SECONDS = 5, 10
JOB_RETRY_ATTEMPTS, JOB_RETRY_INTERVAL_SECONDS = 3, 120
RETRY_BACKOFF_RATE = 2.0


class DefinitionSpecError(ValueError):
    """A value handed to the definition builder cannot make a valid pipeline."""


@dataclass(frozen=True)
class JobSpec:
    """One SageMaker job: who runs it, on what, for how long, with which keys."""

    role_arn: str
    instance_type: str
    instance_count: int
    volume_size_gb: int
    max_runtime_seconds: int
    volume_key_arn: str  # encrypts the instances' storage volumes
    output_key_arn: str  # encrypts what the job writes to S3


@dataclass(frozen=True)
class NetworkSpec:
    """VPC placement of every job (optional: without it the jobs run network-isolated only)."""

    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class DefinitionSpec:
    region: str
    sklearn_version: str  # training_scripts/framework.py SKLEARN_FRAMEWORK_VERSION
    source_tarball_uri: str  # s3://bucket/<key>.gz of sourcedir.tar.gz
    processed_uri: str  # s3 prefix for the splits: <prefix>/<execution id>/<split>
    models_uri: str  # s3 prefix for training output: <prefix>/<job name>/output/model.tar.gz
    evaluation_uri: str  # s3 prefix for reports: <prefix>/<execution id>/evaluation.json
    preprocess: JobSpec
    train: JobSpec
    evaluate: JobSpec
    hyperparameters: Mapping[str, str]
    rmse_threshold: float
    fairness_gap_threshold: float
    model_package_group_name: str
    inference_instance_types: tuple[str, ...]
    transform_instance_types: tuple[str, ...]
    cache_expire_after: str  # ISO 8601 duration, e.g. "P30D" (checked by the stage config)
    model_approval_status: str = "PendingManualApproval"
    # Default of InputDataUrl. None makes the parameter required: every execution then names
    # the data it trains on (the validator passes one validated upload's data/ prefix).
    input_data_url: str | None = None
    network: NetworkSpec | None = None

    def check(self) -> None:
        for name in (
            "source_tarball_uri",
            "input_data_url",
            "processed_uri",
            "models_uri",
            "evaluation_uri",
        ):
            value = getattr(self, name)
            if value is None and name == "input_data_url":
                continue  # a required parameter
            if not value.startswith("s3://") or value.count("/") < 3:
                raise DefinitionSpecError(f"{name} must be an s3://bucket/key URI, got {value!r}")
        if not self.source_tarball_uri.endswith(".gz"):
            raise DefinitionSpecError(
                f"source_tarball_uri must be a gzipped tarball, got {self.source_tarball_uri!r}"
            )
        for job_name in ("preprocess", "train", "evaluate"):
            job: JobSpec = getattr(self, job_name)
            if job.instance_count < 1 or job.volume_size_gb < 1 or job.max_runtime_seconds < 1:
                raise DefinitionSpecError(
                    f"{job_name}: instance count, volume size and max runtime must be >= 1"
                )
        if self.evaluate.instance_count != 1:
            raise DefinitionSpecError(
                "evaluate: instance_count must be 1 (one report from the whole test split)"
            )
        if self.network is not None and not (
            self.network.subnet_ids and self.network.security_group_ids
        ):
            raise DefinitionSpecError("network needs at least one subnet and one security group")
        reserved = {key for key in self.hyperparameters if key.startswith("sagemaker_")}
        if reserved:
            raise DefinitionSpecError(
                f"hyperparameters {sorted(reserved)} are reserved for the SageMaker toolkit"
            )

    @property
    def source_tarball_name(self) -> str:
        return posixpath.basename(self.source_tarball_uri)


def _processing_entrypoint(script: str, tarball_name: str) -> list[Any]:
    """Unpack the source dir, then run ``script`` from it (siblings import as top-level)."""
    command = (
        f"set -eu; mkdir -p {PROCESSING_SOURCE_DIR}; "
        f"tar -xzf {PROCESSING_CODE_DIR}/{tarball_name} -C {PROCESSING_SOURCE_DIR}; "
        f'exec python3 {PROCESSING_SOURCE_DIR}/{script} "$@"'
    )
    return ["/bin/sh", "-c", command, script]


@dataclass(frozen=True)
class BuiltDefinition:
    json: str  # compact, sorted keys: the same spec gives the same bytes
    image_uri: str  # the sklearn image every job and the registered model run

    @property
    def image_repository(self) -> tuple[str, str, str]:
        """(account, region, repository) of the image, for the roles' ECR permissions."""
        registry, _, path = self.image_uri.partition("/")
        account, _dkr, _ecr, region = registry.split(".")[:4]
        return account, region, path.partition(":")[0]


def build_definition(spec: DefinitionSpec) -> BuiltDefinition:
    spec.check()
    with offline_sdk():
        pipeline, image_uri = _build_pipeline(spec)
        definition = pipeline.definition()
    compact = json.dumps(json.loads(definition), sort_keys=True, separators=(",", ":"))
    return BuiltDefinition(json=compact, image_uri=image_uri)


def _build_pipeline(spec: DefinitionSpec) -> tuple[Any, str]:
    from sagemaker import image_uris
    from sagemaker.estimator import Estimator
    from sagemaker.inputs import TrainingInput
    from sagemaker.model import Model
    from sagemaker.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.network import NetworkConfig
    from sagemaker.processing import ProcessingInput, ProcessingOutput, Processor
    from sagemaker.workflow.condition_step import ConditionStep
    from sagemaker.workflow.conditions import (
        ConditionGreaterThanOrEqualTo,
        ConditionLessThan,
        ConditionLessThanOrEqualTo,
    )
    from sagemaker.workflow.execution_variables import ExecutionVariables
    from sagemaker.workflow.fail_step import FailStep
    from sagemaker.workflow.functions import Join, JsonGet
    from sagemaker.workflow.model_step import ModelStep
    from sagemaker.workflow.parameters import ParameterFloat, ParameterInteger, ParameterString
    from sagemaker.workflow.pipeline import Pipeline
    from sagemaker.workflow.properties import PropertyFile
    from sagemaker.workflow.retry import (
        SageMakerJobExceptionTypeEnum,
        SageMakerJobStepRetryPolicy,
        StepExceptionTypeEnum,
        StepRetryPolicy,
    )
    from sagemaker.workflow.steps import CacheConfig, ProcessingStep, TrainingStep

    session = pipeline_session(spec.region)
    image = image_uris.retrieve(
        "sklearn",
        spec.region,
        version=spec.sklearn_version,
        py_version="py3",
        instance_type=spec.train.instance_type,
    )
    tarball = spec.source_tarball_name

    input_data_url = (
        ParameterString(INPUT_DATA_URL)  # no default: required when an execution starts
        if spec.input_data_url is None
        else ParameterString(INPUT_DATA_URL, default_value=spec.input_data_url)
    )
    preprocess_type = ParameterString(
        PREPROCESS_INSTANCE_TYPE, default_value=spec.preprocess.instance_type
    )
    preprocess_count = ParameterInteger(
        PREPROCESS_INSTANCE_COUNT, default_value=spec.preprocess.instance_count
    )
    train_type = ParameterString(TRAIN_INSTANCE_TYPE, default_value=spec.train.instance_type)
    train_count = ParameterInteger(TRAIN_INSTANCE_COUNT, default_value=spec.train.instance_count)
    evaluate_type = ParameterString(
        EVALUATE_INSTANCE_TYPE, default_value=spec.evaluate.instance_type
    )
    rmse_threshold = ParameterFloat(RMSE_THRESHOLD, default_value=spec.rmse_threshold)
    gap_threshold = ParameterFloat(
        FAIRNESS_GAP_THRESHOLD, default_value=spec.fairness_gap_threshold
    )
    approval_status = ParameterString(
        MODEL_APPROVAL_STATUS, default_value=spec.model_approval_status
    )

    cache = CacheConfig(enable_caching=True, expire_after=spec.cache_expire_after)
    api_retry = StepRetryPolicy(
        exception_types=[StepExceptionTypeEnum.THROTTLING, StepExceptionTypeEnum.SERVICE_FAULT],
        max_attempts=API_RETRY_ATTEMPTS,
        interval_seconds=API_RETRY_INTERVAL_SECONDS,
        backoff_rate=RETRY_BACKOFF_RATE,
    )
    job_retry = SageMakerJobStepRetryPolicy(
        exception_types=[
            SageMakerJobExceptionTypeEnum.INTERNAL_ERROR,
            SageMakerJobExceptionTypeEnum.CAPACITY_ERROR,
            SageMakerJobExceptionTypeEnum.RESOURCE_LIMIT,
        ],
        max_attempts=JOB_RETRY_ATTEMPTS,
        interval_seconds=JOB_RETRY_INTERVAL_SECONDS,
        backoff_rate=RETRY_BACKOFF_RATE,
    )
    job_retries = [api_retry, job_retry]
    # Typed Any: the SDK annotates these lists as invariant list[str | PipelineVariable].
    subnets: Any = list(spec.network.subnet_ids) if spec.network else None
    security_groups: Any = list(spec.network.security_group_ids) if spec.network else None

    def per_execution(prefix: str, *parts: str) -> Any:
        return Join(on="/", values=[prefix, ExecutionVariables.PIPELINE_EXECUTION_ID, *parts])

    def processor(job: JobSpec, script: str, instance_type: Any, instance_count: Any) -> Any:
        return Processor(
            role=job.role_arn,
            image_uri=image,
            instance_type=instance_type,
            instance_count=instance_count,
            entrypoint=_processing_entrypoint(script, tarball),
            volume_size_in_gb=job.volume_size_gb,
            volume_kms_key=job.volume_key_arn,
            output_kms_key=job.output_key_arn,
            max_runtime_in_seconds=job.max_runtime_seconds,
            base_job_name=script.removesuffix(".py"),
            sagemaker_session=session,
            network_config=NetworkConfig(
                enable_network_isolation=True,
                encrypt_inter_container_traffic=True,
                security_group_ids=security_groups,
                subnets=subnets,
            ),
        )

    code_input = ProcessingInput(
        input_name="code", source=spec.source_tarball_uri, destination=PROCESSING_CODE_DIR
    )

    preprocess_args = processor(
        spec.preprocess, PREPROCESS_SCRIPT, preprocess_type, preprocess_count
    ).run(
        inputs=[
            # Several instances each get a share of the input files.
            ProcessingInput(
                input_name="data",
                source=input_data_url,
                destination=PROCESSING_DATA_DIR,
                s3_data_distribution_type="ShardedByS3Key",
            ),
            code_input,
        ],
        outputs=[
            ProcessingOutput(
                output_name=split,
                source=f"{PROCESSING_OUTPUT_DIR}/{split}",
                destination=per_execution(spec.processed_uri, split),
            )
            for split in PREPROCESS_OUTPUTS
        ],
    )
    preprocess = ProcessingStep(
        name=PREPROCESS_STEP,
        step_args=preprocess_args,
        cache_config=cache,
        retry_policies=job_retries,
    )
    splits = preprocess.properties.ProcessingOutputConfig.Outputs

    estimator = Estimator(
        role=spec.train.role_arn,
        image_uri=image,
        instance_type=train_type,
        instance_count=train_count,
        volume_size=spec.train.volume_size_gb,
        volume_kms_key=spec.train.volume_key_arn,
        output_kms_key=spec.train.output_key_arn,
        output_path=spec.models_uri,
        max_run=spec.train.max_runtime_seconds,
        enable_network_isolation=True,
        encrypt_inter_container_traffic=True,
        subnets=subnets,
        security_group_ids=security_groups,
        hyperparameters={
            **spec.hyperparameters,
            "sagemaker_program": TRAIN_SCRIPT,
            "sagemaker_submit_directory": f"{TRAINING_CODE_DIR}/{tarball}",
            "sagemaker_container_log_level": "20",
            "sagemaker_region": spec.region,
        },
        metric_definitions=[dict(metric) for metric in TRAINING_METRICS],
        disable_profiler=True,
        debugger_hook_config=False,
        base_job_name="train",
        sagemaker_session=session,
    )
    train_args = estimator.fit(
        inputs={
            **{
                channel: TrainingInput(
                    splits[channel].S3Output.S3Uri, content_type=DATA_CONTENT_TYPE
                )
                for channel in TRAINING_CHANNELS
            },
            TRAINING_CODE_CHANNEL: TrainingInput(spec.source_tarball_uri),
        }
    )
    train = TrainingStep(
        name=TRAIN_STEP, step_args=train_args, cache_config=cache, retry_policies=job_retries
    )
    model_artifact = train.properties.ModelArtifacts.S3ModelArtifacts

    evaluation_prefix = per_execution(spec.evaluation_uri)
    evaluate_args = processor(spec.evaluate, EVALUATE_SCRIPT, evaluate_type, 1).run(
        inputs=[
            ProcessingInput(
                input_name="model", source=model_artifact, destination=PROCESSING_MODEL_DIR
            ),
            ProcessingInput(
                input_name="test",
                source=splits["test"].S3Output.S3Uri,
                destination=PROCESSING_TEST_DIR,
            ),
            code_input,
        ],
        outputs=[
            ProcessingOutput(
                output_name=EVALUATION_OUTPUT,
                source=f"{PROCESSING_OUTPUT_DIR}/{EVALUATION_OUTPUT}",
                destination=evaluation_prefix,
            )
        ],
    )
    report = PropertyFile(
        name=EVALUATION_PROPERTY_FILE, output_name=EVALUATION_OUTPUT, path=EVALUATION_FILE
    )
    evaluate = ProcessingStep(
        name=EVALUATE_STEP,
        step_args=evaluate_args,
        property_files=[report],
        cache_config=cache,
        retry_policies=job_retries,
    )
    # Typed Any: JsonGet is a valid condition operand the SDK's annotations leave out.
    measured_rmse: Any = JsonGet(
        step_name=EVALUATE_STEP, property_file=report, json_path=RMSE_JSON_PATH
    )
    measured_gap: Any = JsonGet(
        step_name=EVALUATE_STEP, property_file=report, json_path=FAIRNESS_GAP_JSON_PATH
    )
    baseline_rmse: Any = JsonGet(
        step_name=EVALUATE_STEP, property_file=report, json_path=BASELINE_RMSE_JSON_PATH
    )
    attributes_compared: Any = JsonGet(
        step_name=EVALUATE_STEP, property_file=report, json_path=FAIRNESS_COMPARED_JSON_PATH
    )

    def as_text(*values: Any) -> Any:
        return Join(on="", values=list(values))

    model = Model(
        image_uri=image,
        model_data=model_artifact,
        env={
            "SAGEMAKER_PROGRAM": INFERENCE_SCRIPT,
            # train.py puts the serving code inside model.tar.gz: no download at start-up.
            "SAGEMAKER_SUBMIT_DIRECTORY": MODEL_CODE_DIR,
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            "SAGEMAKER_REGION": spec.region,
        },
        sagemaker_session=session,
    )
    register_args = model.register(
        model_package_group_name=spec.model_package_group_name,
        approval_status=approval_status,
        content_types=list(INFERENCE_CONTENT_TYPES),
        response_types=list(INFERENCE_RESPONSE_TYPES),
        inference_instances=list(spec.inference_instance_types),
        transform_instances=list(spec.transform_instance_types),
        model_metrics=ModelMetrics(
            model_statistics=MetricsSource(
                s3_uri=Join(on="/", values=[evaluation_prefix, EVALUATION_FILE]),
                content_type="application/json",
            )
        ),
        # What this model had to pass, and what it measured: readable next to the approval.
        customer_metadata_properties={
            "quality_gate_max_rmse": as_text(rmse_threshold),
            "quality_gate_max_fairness_gap": as_text(gap_threshold),
            "measured_rmse": as_text(measured_rmse),
            "measured_fairness_gap": as_text(measured_gap),
            "pipeline_execution_arn": as_text(ExecutionVariables.PIPELINE_EXECUTION_ARN),
        },
    )
    register = ModelStep(name=REGISTER_STEP, step_args=register_args, retry_policies=[api_retry])

    fail = FailStep(
        name=FAIL_STEP,
        error_message=as_text(
            "Model rejected by the quality gate: RMSE ",
            measured_rmse,
            " (max ",
            rmse_threshold,
            ", must beat the predict-G2 baseline's ",
            baseline_rmse,
            "), largest fairness gap ",
            measured_gap,
            " (max ",
            gap_threshold,
            ", sensitive attributes with comparable groups: ",
            attributes_compared,
            ", at least 1).",
        ),
    )
    gate = ConditionStep(
        name=QUALITY_GATE_STEP,
        conditions=[
            ConditionLessThanOrEqualTo(left=measured_rmse, right=rmse_threshold),
            # An absolute ceiling alone lets through a model no better than a naive rule.
            ConditionLessThan(left=measured_rmse, right=baseline_rmse),
            ConditionLessThanOrEqualTo(left=measured_gap, right=gap_threshold),
            # A gap of 0 from too little data per group is not evidence of fairness.
            ConditionGreaterThanOrEqualTo(left=attributes_compared, right=1),
        ],
        if_steps=[register],
        else_steps=[fail],
    )
    pipeline = Pipeline(
        name="definition-only",  # the real name is set on the CloudFormation resource
        parameters=[
            input_data_url,
            preprocess_type,
            preprocess_count,
            train_type,
            train_count,
            evaluate_type,
            rmse_threshold,
            gap_threshold,
            approval_status,
        ],
        steps=[preprocess, train, evaluate, gate],
        sagemaker_session=session,
        # No experiment/trial per execution: it would need sagemaker:CreateExperiment & co.
        pipeline_experiment_config=None,
    )
    return pipeline, image
