"""The path of an upload event: rule -> encrypted queue -> function, with nothing dropped."""

from __future__ import annotations

from stacks import layout
from stacks.config.ingestion import DEAD_LETTER_RETENTION_DAYS
from tests.infra.helpers import logical_id, resources_of_type

from .helpers import (
    get_att,
    imported,
    ingestion_template,
    queue_policy,
    ref,
    resource,
    stage_config,
)

TLS_ONLY = {"Bool": {"aws:SecureTransport": "false"}}


def test_rule_matches_objects_created_under_the_upload_prefix_of_the_raw_bucket(stage):
    ingestion = stage.platform.ingestion
    rule = resource(stage, ingestion.rule)["Properties"]
    assert rule["State"] == "ENABLED"
    assert rule["EventPattern"] == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [imported(stage, stage.platform.data.buckets.raw)]},
            "object": {"key": [{"prefix": layout.UPLOAD_PREFIX}]},
        },
    }


def test_rule_delivers_to_the_queue_and_undeliverable_events_to_their_own_dlq(stage):
    ingestion = stage.platform.ingestion
    (target,) = resource(stage, ingestion.rule)["Properties"]["Targets"]
    assert target["Arn"] == get_att(ingestion.queue)
    assert target["DeadLetterConfig"] == {"Arn": get_att(ingestion.delivery_dead_letter_queue)}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400}
    assert "RoleArn" not in target  # SQS targets are authorised by the queue policy


def test_only_the_upload_rule_may_send_to_the_queue_and_its_dlq(stage):
    ingestion = stage.platform.ingestion
    for queue in (ingestion.queue, ingestion.delivery_dead_letter_queue):
        allows = [s for s in queue_policy(stage, queue) if s["Effect"] == "Allow"]
        assert allows == [
            {
                "Sid": allows[0]["Sid"],
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": get_att(queue),
                "Condition": {"ArnEquals": {"aws:SourceArn": get_att(ingestion.rule)}},
            }
        ]


def test_no_statement_is_added_to_the_data_stacks_key_policies(stage):
    # EventBridge already may use the platform key (data stack); the target adds nothing.
    data = stage.template(stage.platform.data)
    for key in resources_of_type(data, "AWS::KMS::Key").values():
        sids = [s.get("Sid") for s in key["Properties"]["KeyPolicy"]["Statement"]]
        assert None not in sids, "every key policy statement comes from EncryptionKey"


def test_queues_are_encrypted_with_the_platform_key_and_deny_plain_http(stage):
    ingestion = stage.platform.ingestion
    platform_key = imported(stage, stage.platform.data.keys.platform, "Arn")
    queues = (ingestion.queue, ingestion.dead_letter_queue, ingestion.delivery_dead_letter_queue)
    assert len(resources_of_type(ingestion_template(stage), "AWS::SQS::Queue")) == len(queues)
    for queue in queues:
        assert resource(stage, queue)["Properties"]["KmsMasterKeyId"] == platform_key
        denies = [s for s in queue_policy(stage, queue) if s["Effect"] == "Deny"]
        assert [(s["Action"], s["Condition"]) for s in denies] == [("sqs:*", TLS_ONLY)]


def test_failed_messages_move_to_the_dead_letter_queue_after_the_configured_receives(stage):
    config = stage_config(stage.name).ingestion
    ingestion = stage.platform.ingestion
    queue = resource(stage, ingestion.queue)["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": get_att(ingestion.dead_letter_queue),
        "maxReceiveCount": config.max_receive_count,
    }
    assert queue["MessageRetentionPeriod"] == config.message_retention_days * 86400
    for dlq in (ingestion.dead_letter_queue, ingestion.delivery_dead_letter_queue):
        properties = resource(stage, dlq)["Properties"]
        assert properties["MessageRetentionPeriod"] == DEAD_LETTER_RETENTION_DAYS * 86400
        assert "RedrivePolicy" not in properties


def test_visibility_timeout_is_six_function_timeouts(stage):
    config = stage_config(stage.name).ingestion
    ingestion = stage.platform.ingestion
    visibility = resource(stage, ingestion.queue)["Properties"]["VisibilityTimeout"]
    timeout = resource(stage, ingestion.function)["Properties"]["Timeout"]
    assert timeout == config.timeout_seconds == ingestion.function_timeout.to_seconds()
    assert visibility == 6 * timeout + config.max_batching_window_seconds


def test_queue_feeds_the_function_reporting_failures_per_message(stage):
    config = stage_config(stage.name).ingestion
    ingestion = stage.platform.ingestion
    (mapping,) = resources_of_type(
        ingestion_template(stage), "AWS::Lambda::EventSourceMapping"
    ).values()
    properties = mapping["Properties"]
    assert properties["EventSourceArn"] == get_att(ingestion.queue)
    assert properties["FunctionName"] == ref(ingestion.function)
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BatchSize"] == config.batch_size
    assert properties.get("MaximumBatchingWindowInSeconds", 0) == (
        config.max_batching_window_seconds
    )
    # Never more pollers than the function may run: no throttled, retried messages.
    assert properties["ScalingConfig"] == {"MaximumConcurrency": config.reserved_concurrency}
    # Lambda checks the role may read the queue when it creates the mapping.
    assert logical_id(ingestion.policy) in mapping["DependsOn"]


def test_quarantine_topic_is_encrypted_tls_only_and_separate_from_on_call_alerts(stage):
    ingestion = stage.platform.ingestion
    topic = resource(stage, ingestion.notification_topic)["Properties"]
    assert topic["KmsMasterKeyId"] == imported(stage, stage.platform.data.keys.platform, "Arn")
    (policy,) = resources_of_type(ingestion_template(stage), "AWS::SNS::TopicPolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Action"], statement["Condition"]) == (
        "Deny",
        "sns:Publish",
        TLS_ONLY,
    )
    assert ingestion.notification_topic.topic_arn != stage.platform.alerts.topic.topic_arn
    subscriptions = resources_of_type(ingestion_template(stage), "AWS::SNS::Subscription")
    emails = sorted(s["Properties"]["Endpoint"] for s in subscriptions.values())
    assert emails == sorted(stage_config(stage.name).ingestion.notify_emails)


def test_idempotency_table_is_encrypted_recoverable_expiring_on_demand_and_retained(stage):
    ingestion = stage.platform.ingestion
    table = resource(stage, ingestion.idempotency_table)
    properties = table["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": imported(stage, stage.platform.data.keys.platform, "Arn"),
    }
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
