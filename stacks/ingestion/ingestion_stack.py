"""Ingestion: every upload is validated before anything can train on it, and nothing is lost.

    raw bucket (incoming/) --Object Created--> EventBridge rule --> SQS queue --> validator
                                                  | cannot deliver     | fails     |
                                                  v                    v           v
                                             delivery DLQ      processing DLQ   validated/ or
                                                                                quarantine + SNS

The queue absorbs bursts and retries; the function reports failures per message (partial batch
response), so only failed uploads come back and, after ``max_receive_count`` attempts, wait in
the dead-letter queue with their original event. Events EventBridge cannot deliver to the queue
go to a second dead-letter queue. Queues, topic, table and logs are encrypted with the platform
key (operations data: never a student record).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack, aws_lambda
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .. import layout
from ..config import StageConfig
from ..config.ingestion import DEAD_LETTER_RETENTION_DAYS
from ..constructs.lambda_code import LAMBDAS_DIR, lambda_code
from ..constructs.vpc_permissions import function_network_statements
from ..data_stack import PlatformBuckets, PlatformKeys
from ..network.network_stack import WorkloadNetwork
from .findings import acknowledge_findings
from .powertools import layer_version_arn
from .queue_target import RuleQueueTarget
from .validator_permissions import ValidatorResources, validator_statements

RUNTIME = aws_lambda.Runtime.PYTHON_3_14
ARCHITECTURE = aws_lambda.Architecture.ARM_64
HANDLER = "validator.handler.lambda_handler"
SERVICE_NAME = "validator"

# The longest SQS allows; the dead-letter queues are where a failed upload waits for a person.
DEAD_LETTER_RETENTION = Duration.days(DEAD_LETTER_RETENTION_DAYS)
# Idempotency records live as long as a message can come back (redriven from the dead-letter
# queue within its retention), so a redelivered upload is never processed twice.
IDEMPOTENCY_TTL = DEAD_LETTER_RETENTION
# Powertools' DynamoDB persistence layer defaults: partition key "id", TTL in "expiration".
IDEMPOTENCY_KEY_ATTRIBUTE = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"
# EventBridge's own retry policy towards the queue (its defaults, stated for the auditor).
DELIVERY_RETRY_ATTEMPTS = 185
DELIVERY_MAX_EVENT_AGE = Duration.hours(24)

# What the function publishes (Powertools metrics, embedded metric format, dimension
# "service" = SERVICE_NAME). Checked against lambdas/validator/handler.py by the tests.
METRIC_NAMES = (
    "AcceptedFiles",
    "RejectedFiles",
    "Rows",
    "Bytes",
    "ValidationDuration",
    "ProcessingDuration",
    "IgnoredEvents",
    "MissingUploads",
    "ColdStart",
)


@dataclass(frozen=True)
class ValidatorMetrics:
    """Where the monitoring stack finds the validator's own metrics."""

    namespace: str
    dimensions: dict[str, str]
    names: tuple[str, ...]


class IngestionStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        keys: PlatformKeys,
        buckets: PlatformBuckets,
        pipeline_name: str,
        network: WorkloadNetwork | None = None,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        settings = config.ingestion
        self.network = network
        platform_key = keys.platform

        self.notification_topic = sns.Topic(
            self,
            "QuarantineNotifications",
            display_name=f"ml-platform {config.name}: rejected uploads",
            master_key=platform_key,
            enforce_ssl=True,
        )
        for email in settings.notify_emails:
            self.notification_topic.add_subscription(subscriptions.EmailSubscription(email))

        def queue(construct_id: str, **queue_settings) -> sqs.Queue:
            return sqs.Queue(
                self,
                construct_id,
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=platform_key,
                enforce_ssl=True,
                **queue_settings,
            )

        self.dead_letter_queue = queue(
            "ProcessingDeadLetterQueue", retention_period=DEAD_LETTER_RETENTION
        )
        self.queue = queue(
            "UploadQueue",
            visibility_timeout=Duration.seconds(settings.visibility_timeout_seconds),
            retention_period=Duration.days(settings.message_retention_days),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=settings.max_receive_count
            ),
        )
        self.delivery_dead_letter_queue = queue(
            "DeliveryDeadLetterQueue", retention_period=DEAD_LETTER_RETENTION
        )

        self.rule = events.Rule(
            self,
            "UploadCreated",
            description=f"Uploads under {layout.UPLOAD_PREFIX} of the raw bucket, to validation",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [buckets.raw.bucket_name]},
                    "object": {"key": [{"prefix": layout.UPLOAD_PREFIX}]},
                },
            ),
            targets=[
                RuleQueueTarget(
                    self.queue,
                    dead_letter_queue=self.delivery_dead_letter_queue,
                    retry_attempts=DELIVERY_RETRY_ATTEMPTS,
                    max_event_age=DELIVERY_MAX_EVENT_AGE,
                )
            ],
        )

        self.idempotency_table = dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=dynamodb.Attribute(
                name=IDEMPOTENCY_KEY_ATTRIBUTE, type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=platform_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=IDEMPOTENCY_TTL_ATTRIBUTE,
            removal_policy=RemovalPolicy.RETAIN,
        )

        self.log_group = logs.LogGroup(
            self, "ValidatorLogs", encryption_key=platform_key, removal_policy=RemovalPolicy.RETAIN
        )
        # The L2 takes retention as an enum of names; the stage config holds days.
        cfn_log_group = self.log_group.node.default_child
        assert isinstance(cfn_log_group, logs.CfnLogGroup)
        cfn_log_group.retention_in_days = config.logs.retention_days

        self.pipeline_arn = self.format_arn(
            service="sagemaker", resource="pipeline", resource_name=pipeline_name
        )
        self.role = iam.Role(
            self,
            "ValidatorRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Validator function: validate uploads, curate or quarantine them",
        )
        self.policy = iam.ManagedPolicy(
            self,
            "ValidatorPolicy",
            description="Exactly the calls lambdas/validator makes, each on its own resources",
            statements=validator_statements(
                ValidatorResources(
                    region=self.region,
                    raw_bucket_arn=buckets.raw.bucket_arn,
                    upload_prefix=layout.UPLOAD_PREFIX,
                    curated_bucket_arn=buckets.curated.bucket_arn,
                    validated_prefix=layout.VALIDATED_PREFIX,
                    quarantine_bucket_arn=buckets.quarantine.bucket_arn,
                    quarantine_prefix=layout.QUARANTINE_PREFIX,
                    data_key_arn=keys.data.key_arn,
                    platform_key_arn=platform_key.key_arn,
                    queue_arn=self.queue.queue_arn,
                    topic_arn=self.notification_topic.topic_arn,
                    table_arn=self.idempotency_table.table_arn,
                    pipeline_arn=self.pipeline_arn,
                    log_group_arn=self.log_group.log_group_arn,
                )
            )
            + (function_network_statements(self, network) if network is not None else []),
            roles=[self.role],
        )

        self.metrics = ValidatorMetrics(
            namespace=f"{config.resource_prefix}/ingestion",
            dimensions={"service": SERVICE_NAME},
            names=METRIC_NAMES,
        )
        self.function_timeout = Duration.seconds(settings.timeout_seconds)
        self.function = aws_lambda.Function(
            self,
            "Validator",
            description="Validate each upload against the student data contract",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=lambda_code("validator", LAMBDAS_DIR / "validator"),
            layers=[
                aws_lambda.LayerVersion.from_layer_version_arn(
                    self,
                    "Powertools",
                    layer_version_arn(
                        self,
                        region=config.region,
                        python_version=RUNTIME.name.removeprefix("python"),
                        architecture="arm64",
                    ),
                )
            ],
            memory_size=settings.memory_mb,
            timeout=self.function_timeout,
            reserved_concurrent_executions=settings.reserved_concurrency,
            # Every permission is in ValidatorPolicy: the function sees the role as immutable,
            # so tracing adds no inline policy behind its back (and no redundant DependsOn).
            role=iam.Role.from_role_arn(
                self, "ValidatorRoleAsUsed", self.role.role_arn, mutable=False
            ),
            tracing=aws_lambda.Tracing.ACTIVE,
            log_group=self.log_group,
            environment=self._environment(config, keys, buckets, pipeline_name),
            # Names of buckets, topics and the pipeline: encrypted at rest with our own key.
            environment_encryption=keys.platform,
            # In the stage's isolated subnets when it has a network (VPC endpoints, no internet).
            vpc=network.vpc if network is not None else None,
            vpc_subnets=ec2.SubnetSelection(subnets=list(network.subnets)) if network else None,
            security_groups=list(network.security_groups) if network is not None else None,
        )
        if network is not None:
            # Lambda checks the role may create network interfaces when the function is created.
            self.function.node.add_dependency(self.policy)
        # Permissions to read the queue are in ValidatorPolicy (ConsumeUploadEvents).
        self.event_source_mapping = self.function.add_event_source_mapping(
            "UploadQueueSource",
            event_source_arn=self.queue.queue_arn,
            batch_size=settings.batch_size,
            max_batching_window=(
                Duration.seconds(settings.max_batching_window_seconds)
                if settings.max_batching_window_seconds
                else None
            ),
            report_batch_item_failures=True,
            max_concurrency=settings.reserved_concurrency,
        )
        # Lambda checks the role can read the queue when the mapping is created.
        self.event_source_mapping.node.add_dependency(self.policy)
        acknowledge_findings(self)

    def _environment(
        self,
        config: StageConfig,
        keys: PlatformKeys,
        buckets: PlatformBuckets,
        pipeline_name: str,
    ) -> dict[str, str]:
        """The variables lambdas/validator/settings.py reads, plus Powertools' own."""
        settings = config.ingestion
        return {
            "RAW_BUCKET_NAME": buckets.raw.bucket_name,
            "UPLOAD_PREFIX": layout.UPLOAD_PREFIX,
            "CURATED_BUCKET_NAME": buckets.curated.bucket_name,
            "CURATED_PREFIX": layout.VALIDATED_PREFIX,
            "CURATED_KMS_KEY_ID": keys.data.key_arn,
            "QUARANTINE_BUCKET_NAME": buckets.quarantine.bucket_name,
            "QUARANTINE_PREFIX": layout.QUARANTINE_PREFIX,
            "QUARANTINE_KMS_KEY_ID": keys.data.key_arn,
            "PIPELINE_NAME": pipeline_name,
            "ALERT_TOPIC_ARN": self.notification_topic.topic_arn,
            "IDEMPOTENCY_TABLE_NAME": self.idempotency_table.table_name,
            "IDEMPOTENCY_TTL_SECONDS": str(int(IDEMPOTENCY_TTL.to_seconds())),
            "MAX_FILE_BYTES": str(settings.max_file_mb * 1024 * 1024),
            "MIN_ROWS": str(settings.min_rows),
            "MAX_ROWS": str(settings.max_rows),
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": self.metrics.namespace,
        }
