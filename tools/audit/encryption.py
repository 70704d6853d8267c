"""Encryption at rest: every data-holding resource and the key that encrypts it.

Anything not under one of the assembly's customer-managed keys is flagged, with the reason of
any cdk-nag acknowledgment on the resource that concerns encryption.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import pipeline_definition as pipelines
from .assembly import CloudAssembly, Resource
from .compliance import ENCRYPTION_RULE, ComplianceRegister
from .intrinsics import Resolver, references_in
from .keys import KeyCatalog, KeyKind, KeyUse


@dataclass(frozen=True)
class EncryptedItem:
    resource: Resource
    item: str  # what is stored: "objects", "messages", "job volume of step Train", ...
    use: KeyUse
    note: str = ""
    acknowledged: tuple[str, ...] = ()  # "<rule id>: <reason>" of encryption acknowledgments

    @property
    def flagged(self) -> bool:
        return self.use.kind is not KeyKind.NOT_APPLICABLE and not self.use.is_customer_managed


class _Context:
    def __init__(self, assembly: CloudAssembly, resolver: Resolver, keys: KeyCatalog) -> None:
        self.assembly, self.resolver, self.keys = assembly, resolver, keys

    def key(self, resource: Resource, raw: Any, *, absent: KeyUse) -> KeyUse:
        if raw is None:
            return absent
        return self.keys.identify(self.resolver.text(raw, resource.stack))

    def bucket_default(self, text: str | None) -> tuple[KeyUse, str] | None:
        """The default encryption of the assembly's bucket that ``text`` (an S3 URI) names."""
        for reference in references_in(text or ""):
            bucket = self.resolver.resource_of(reference)
            if bucket is not None and bucket.type == "AWS::S3::Bucket":
                use = bucket_key(self.resolver, self.keys, bucket)
                return use, f"bucket default of {bucket.name}"
        return None

    def output(
        self, stack: str, key_raw: Any, uri: str | None, *, absent: KeyUse
    ) -> tuple[KeyUse, str]:
        """An S3 output's key: its own KmsKeyId, else the target bucket's default encryption."""
        if key_raw is not None:
            return self.keys.identify(self.resolver.text(key_raw, stack)), ""
        inherited = self.bucket_default(uri)
        if inherited is not None:
            return inherited
        return absent, "no KmsKeyId and the bucket is not in this assembly"


def bucket_key(resolver: Resolver, keys: KeyCatalog, bucket: Resource) -> KeyUse:
    """The default encryption of an S3 bucket."""
    rules = _dig(bucket.properties, "BucketEncryption", "ServerSideEncryptionConfiguration") or []
    default = _dig(rules[0] if rules else {}, "ServerSideEncryptionByDefault") or {}
    algorithm = resolver.text(default.get("SSEAlgorithm"), bucket.stack)
    if algorithm.startswith("aws:kms"):
        key = default.get("KMSMasterKeyID")
        if key is None:
            return KeyUse(KeyKind.AWS_MANAGED, detail="alias/aws/s3")
        return keys.identify(resolver.text(key, bucket.stack))
    return KeyUse(KeyKind.SSE_S3, detail="AES256" if algorithm else "S3 default encryption")


def _dig(mapping: Any, *keys: str) -> Any:
    return pipelines.dig(mapping, *keys)


Extractor = Callable[[_Context, Resource], Iterator[EncryptedItem]]


def _s3_bucket(context: _Context, resource: Resource) -> Iterator[EncryptedItem]:
    yield EncryptedItem(resource, "objects", bucket_key(context.resolver, context.keys, resource))


def _single(item: str, key_property: str, absent: KeyUse, *path: str) -> Extractor:
    def extract(context: _Context, resource: Resource) -> Iterator[EncryptedItem]:
        yield EncryptedItem(
            resource,
            item,
            context.key(resource, _dig(resource.properties, *path, key_property), absent=absent),
        )

    return extract


def _sqs_queue(context: _Context, resource: Resource) -> Iterator[EncryptedItem]:
    props = resource.properties
    if "KmsMasterKeyId" in props:
        use = context.key(resource, props["KmsMasterKeyId"], absent=KeyUse(KeyKind.NONE))
    elif props.get("SqsManagedSseEnabled") is False:
        use = KeyUse(KeyKind.NONE)
    else:
        use = KeyUse(KeyKind.AWS_OWNED, detail="SQS managed SSE")
    yield EncryptedItem(resource, "messages", use)


def _dynamodb_table(context: _Context, resource: Resource) -> Iterator[EncryptedItem]:
    spec = resource.properties.get("SSESpecification") or {}
    if spec.get("SSEEnabled") in (True, "true"):
        use = context.key(
            resource,
            spec.get("KMSMasterKeyId"),
            absent=KeyUse(KeyKind.AWS_MANAGED, detail="alias/aws/dynamodb"),
        )
    else:
        use = KeyUse(KeyKind.AWS_OWNED, detail="DynamoDB default encryption")
    yield EncryptedItem(resource, "items", use)


def _lambda_function(context: _Context, resource: Resource) -> Iterator[EncryptedItem]:
    variables = _dig(resource.properties, "Environment", "Variables")
    if variables:
        yield EncryptedItem(
            resource,
            "environment variables",
            context.key(
                resource,
                resource.properties.get("KmsKeyArn"),
                absent=KeyUse(KeyKind.AWS_MANAGED, detail="alias/aws/lambda"),
            ),
        )


def _ssm_parameter(context: _Context, resource: Resource) -> Iterator[EncryptedItem]:
    # CloudFormation cannot create SecureString parameters: every value here is plain text.
    yield EncryptedItem(resource, "parameter value", KeyUse(KeyKind.NONE, detail="plain parameter"))


_SAGEMAKER_VOLUME = KeyUse(KeyKind.AWS_MANAGED, detail="SageMaker default EBS encryption")
_AWS_OWNED = KeyUse(KeyKind.AWS_OWNED)


def _endpoint_config(context: _Context, resource: Resource) -> Iterator[EncryptedItem]:
    props = resource.properties
    variants = list(props.get("ProductionVariants") or []) + list(
        props.get("ShadowProductionVariants") or []
    )
    if any("InstanceType" in variant for variant in variants):
        yield EncryptedItem(
            resource,
            "ML storage volume",
            context.key(resource, props.get("KmsKeyId"), absent=_SAGEMAKER_VOLUME),
        )
    elif props.get("KmsKeyId") is not None:
        # Serverless variants have no volume; the key, when set, encrypts the model image.
        yield EncryptedItem(
            resource,
            "model image (serverless)",
            context.key(resource, props["KmsKeyId"], absent=_AWS_OWNED),
        )
    capture = props.get("DataCaptureConfig")
    if capture and capture.get("EnableCapture", True) not in (False, "false"):
        uri = context.resolver.text(capture.get("DestinationS3Uri"), resource.stack)
        use, note = context.output(resource.stack, capture.get("KmsKeyId"), uri, absent=_AWS_OWNED)
        yield EncryptedItem(resource, "captured requests and responses", use, note)
    output = _dig(props, "AsyncInferenceConfig", "OutputConfig")
    if output:
        uri = context.resolver.text(output.get("S3OutputPath"), resource.stack)
        use, note = context.output(resource.stack, output.get("KmsKeyId"), uri, absent=_AWS_OWNED)
        yield EncryptedItem(resource, "asynchronous inference outputs", use, note)


def _monitoring(path: tuple[str, ...], output_config: str) -> Extractor:
    """Monitoring schedules and job definitions: job volume and report output."""

    def extract(context: _Context, resource: Resource) -> Iterator[EncryptedItem]:
        job = _dig(resource.properties, *path) if path else resource.properties
        if not isinstance(job, dict):
            return
        resources_key = "MonitoringResources" if "MonitoringResources" in job else "JobResources"
        volume = _dig(job, resources_key, "ClusterConfig", "VolumeKmsKeyId")
        yield EncryptedItem(
            resource, "job volume", context.key(resource, volume, absent=_SAGEMAKER_VOLUME)
        )
        output = job.get(output_config) or {}
        uris = [
            context.resolver.text(_dig(item, "S3Output", "S3Uri"), resource.stack)
            for item in output.get("MonitoringOutputs", [])
        ]
        use, note = context.output(
            resource.stack, output.get("KmsKeyId"), " ".join(uris), absent=_AWS_OWNED
        )
        yield EncryptedItem(resource, "job reports", use, note)

    return extract


def _pipeline(context: _Context, resource: Resource) -> Iterator[EncryptedItem]:
    try:
        definition = pipelines.load_definition(resource, context.resolver)
    except pipelines.DefinitionError as error:
        yield EncryptedItem(
            resource, "pipeline job data", KeyUse(KeyKind.EXTERNAL, detail="unreadable"), str(error)
        )
        return
    for step in pipelines.steps(definition):
        yield from _pipeline_step(context, resource, definition, step)


def _pipeline_step(
    context: _Context,
    resource: Resource,
    definition: Mapping[str, Any],
    step: pipelines.PipelineStep,
) -> Iterator[EncryptedItem]:
    args = step.arguments

    def key_of(raw: Any, absent: KeyUse) -> KeyUse:
        text = pipelines.value(definition, raw)
        return absent if text is None else context.keys.identify(text)

    def output(raw_key: Any, uris: list[Any]) -> tuple[KeyUse, str]:
        text = pipelines.value(definition, raw_key)
        if text is not None:
            return context.keys.identify(text), ""
        uri_text = " ".join(pipelines.value(definition, uri) or "" for uri in uris)
        inherited = context.bucket_default(uri_text)
        return inherited if inherited else (_AWS_OWNED, "no KmsKeyId, output bucket unknown")

    label = f"step {step.name}"
    if step.type == "Processing":
        volume = _dig(args, "ProcessingResources", "ClusterConfig", "VolumeKmsKeyId")
        yield EncryptedItem(resource, f"job volume ({label})", key_of(volume, _SAGEMAKER_VOLUME))
        outputs = _dig(args, "ProcessingOutputConfig") or {}
        if outputs:
            uris = [_dig(item, "S3Output", "S3Uri") for item in outputs.get("Outputs", [])]
            use, note = output(outputs.get("KmsKeyId"), uris)
            yield EncryptedItem(resource, f"job outputs ({label})", use, note)
    elif step.type in ("Training", "Tuning"):
        job = args.get("TrainingJobDefinition", args) if step.type == "Tuning" else args
        volume = _dig(job, "ResourceConfig", "VolumeKmsKeyId")
        yield EncryptedItem(resource, f"job volume ({label})", key_of(volume, _SAGEMAKER_VOLUME))
        out = job.get("OutputDataConfig") or {}
        use, note = output(out.get("KmsKeyId"), [out.get("S3OutputPath")])
        yield EncryptedItem(resource, f"model artifacts ({label})", use, note)
    elif step.type == "Transform":
        volume = _dig(args, "TransformResources", "VolumeKmsKeyId")
        yield EncryptedItem(resource, f"job volume ({label})", key_of(volume, _SAGEMAKER_VOLUME))
        out = args.get("TransformOutput") or {}
        use, note = output(out.get("KmsKeyId"), [out.get("S3OutputPath")])
        yield EncryptedItem(resource, f"job outputs ({label})", use, note)
    elif step.type == "RegisterModel":
        key = _dig(args, "SecurityConfig", "KmsKeyId")
        yield EncryptedItem(resource, f"model package metadata ({label})", key_of(key, _AWS_OWNED))


_EXTRACTORS: dict[str, Extractor] = {
    "AWS::S3::Bucket": _s3_bucket,
    "AWS::SQS::Queue": _sqs_queue,
    "AWS::SNS::Topic": _single("messages", "KmsMasterKeyId", KeyUse(KeyKind.NONE)),
    "AWS::Logs::LogGroup": _single(
        "log events", "KmsKeyId", KeyUse(KeyKind.AWS_OWNED, detail="CloudWatch Logs encryption")
    ),
    "AWS::DynamoDB::Table": _dynamodb_table,
    "AWS::SecretsManager::Secret": _single(
        "secret value", "KmsKeyId", KeyUse(KeyKind.AWS_MANAGED, detail="alias/aws/secretsmanager")
    ),
    "AWS::Lambda::Function": _lambda_function,
    "AWS::SSM::Parameter": _ssm_parameter,
    "AWS::SageMaker::EndpointConfig": _endpoint_config,
    "AWS::SageMaker::Pipeline": _pipeline,
    "AWS::SageMaker::ModelPackage": _single(
        "model package metadata", "KmsKeyId", _AWS_OWNED, "SecurityConfig"
    ),
    "AWS::SageMaker::MonitoringSchedule": _monitoring(
        ("MonitoringScheduleConfig", "MonitoringJobDefinition"), "MonitoringOutputConfig"
    ),
    "AWS::SageMaker::DataQualityJobDefinition": _monitoring((), "DataQualityJobOutputConfig"),
    "AWS::SageMaker::ModelQualityJobDefinition": _monitoring((), "ModelQualityJobOutputConfig"),
    "AWS::SageMaker::ModelBiasJobDefinition": _monitoring((), "ModelBiasJobOutputConfig"),
    "AWS::SageMaker::ModelExplainabilityJobDefinition": _monitoring(
        (), "ModelExplainabilityJobOutputConfig"
    ),
    "AWS::SageMaker::NotebookInstance": _single("notebook volume", "KmsKeyId", _SAGEMAKER_VOLUME),
    "AWS::SageMaker::Domain": _single("home directories (EFS)", "KmsKeyId", _AWS_OWNED),
    "AWS::StepFunctions::StateMachine": _single(
        "execution data", "KmsKeyId", _AWS_OWNED, "EncryptionConfiguration"
    ),
    "AWS::Events::EventBus": _single("events", "KmsKeyIdentifier", _AWS_OWNED),
    "AWS::Events::Archive": _single("archived events", "KmsKeyIdentifier", _AWS_OWNED),
    "AWS::ECR::Repository": _single(
        "images", "KmsKey", KeyUse(KeyKind.AWS_OWNED, detail="AES256"), "EncryptionConfiguration"
    ),
}

DATA_HOLDING_TYPES = frozenset(_EXTRACTORS)


def encryption_at_rest(
    assembly: CloudAssembly,
    resolver: Resolver,
    keys: KeyCatalog,
    register: ComplianceRegister,
) -> list[EncryptedItem]:
    context = _Context(assembly, resolver, keys)
    items: list[EncryptedItem] = []
    for resource in assembly.resources():
        extractor = _EXTRACTORS.get(resource.type)
        if extractor is None:
            continue
        # One line per reason: the same acknowledgment is usually made in several packs.
        by_reason: dict[str, list[str]] = {}
        for ack in register.for_resource(resource.address):
            if ENCRYPTION_RULE.search(ack.rule):
                by_reason.setdefault(ack.reason, []).append(ack.rule_id)
        reasons = tuple(f"{', '.join(rules)}: {reason}" for reason, rules in by_reason.items())
        for item in extractor(context, resource):
            items.append(
                EncryptedItem(
                    item.resource, item.item, item.use, item.note, reasons if item.flagged else ()
                )
            )
    return items
