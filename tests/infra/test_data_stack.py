"""Security properties of the data-privacy layer, asserted on the synthesized templates."""

from __future__ import annotations

import json

import pytest

from stacks.config import cdk_json_context, parse_stage_config

from .helpers import logical_id, policy_statements_for, resources_of_type

DATA_BUCKETS = ("raw", "curated", "quarantine", "artifacts")
# Which key encrypts which bucket: student records under the data key, the rest under the
# platform key (see stacks/data_stack.py).
EXPECTED_KEY = {"raw": "data", "curated": "data", "quarantine": "data", "artifacts": "platform"}


def _config(stage_name: str):
    context = cdk_json_context()
    return parse_stage_config(stage_name, context["ml-platform:stages"])


def _data_template(stage):
    return stage.template(stage.platform.data)


@pytest.mark.parametrize("bucket_name", DATA_BUCKETS)
def test_data_buckets_use_their_customer_managed_key_with_bucket_keys(stage, bucket_name):
    # Given the synthesized data stack
    data = stage.platform.data
    template = _data_template(stage)
    bucket = template["Resources"][logical_id(getattr(data.buckets, bucket_name))]
    key_id = logical_id(getattr(data.keys, EXPECTED_KEY[bucket_name]))
    # Then the bucket's default encryption is SSE-KMS with exactly that key and a bucket key
    (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    assert rule["BucketKeyEnabled"] is True


@pytest.mark.parametrize("bucket_name", [*DATA_BUCKETS, "access_logs"])
def test_every_bucket_is_private_versioned_and_retained(stage, bucket_name):
    template = _data_template(stage)
    bucket = template["Resources"][logical_id(getattr(stage.platform.data.buckets, bucket_name))]
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["Properties"]["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("bucket_name", [*DATA_BUCKETS, "access_logs"])
def test_every_bucket_denies_requests_without_tls_1_2(stage, bucket_name):
    template = _data_template(stage)
    bucket_id = logical_id(getattr(stage.platform.data.buckets, bucket_name))
    denies = [
        s
        for s in policy_statements_for(template, bucket_id)
        if s["Effect"] == "Deny" and s["Condition"].keys() & {"Bool", "NumericLessThan"}
    ]
    conditions = [statement["Condition"] for statement in denies]
    assert len(denies) == 2
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions
    for statement in denies:
        assert statement["Principal"] == {"AWS": "*"}
        assert statement["Action"] == "s3:*"  # a deny on everything over plain HTTP


@pytest.mark.parametrize("bucket_name", DATA_BUCKETS)
def test_data_buckets_log_access_to_the_access_logs_bucket(stage, bucket_name):
    template = _data_template(stage)
    buckets = stage.platform.data.buckets
    bucket = template["Resources"][logical_id(getattr(buckets, bucket_name))]
    logging = bucket["Properties"]["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == {"Ref": logical_id(buckets.access_logs)}
    assert logging["LogFilePrefix"].endswith("/")


def test_access_logs_bucket_uses_sse_s3_as_server_access_logging_requires(stage):
    template = _data_template(stage)
    bucket = template["Resources"][logical_id(stage.platform.data.buckets.access_logs)]
    (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    expire = [
        r
        for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"]
        if "ExpirationInDays" in r
    ]
    assert expire[0]["ExpirationInDays"] == _config(stage.name).data.access_log_retention_days


@pytest.mark.parametrize("bucket_name", DATA_BUCKETS)
def test_lifecycle_expires_noncurrent_versions_and_aborts_uploads_per_stage(stage, bucket_name):
    config = _config(stage.name).data
    template = _data_template(stage)
    bucket = template["Resources"][logical_id(getattr(stage.platform.data.buckets, bucket_name))]
    (rule,) = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": config.noncurrent_version_expiration_days
    }
    assert rule["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": config.abort_incomplete_multipart_upload_days
    }


def test_stages_keep_old_versions_for_different_periods(dev, prod):
    # The stage config is really applied: prod keeps old versions longer than dev.
    assert (
        _config("prod").data.noncurrent_version_expiration_days
        > _config("dev").data.noncurrent_version_expiration_days
    )
    raw_dev = _data_template(dev)["Resources"][logical_id(dev.platform.data.buckets.raw)]
    raw_prod = _data_template(prod)["Resources"][logical_id(prod.platform.data.buckets.raw)]
    dev_rule = raw_dev["Properties"]["LifecycleConfiguration"]["Rules"][0]
    prod_rule = raw_prod["Properties"]["LifecycleConfiguration"]["Rules"][0]
    assert dev_rule != prod_rule


def test_only_the_raw_bucket_sends_events_to_eventbridge_without_a_custom_resource(stage):
    template = _data_template(stage)
    buckets = stage.platform.data.buckets
    for name in DATA_BUCKETS:
        bucket = template["Resources"][logical_id(getattr(buckets, name))]
        notification = bucket["Properties"].get("NotificationConfiguration", {})
        enabled = notification.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled")
        assert enabled is (True if name == "raw" else None), name
    assert not resources_of_type(template, "Custom::S3BucketNotifications")
    assert not resources_of_type(template, "AWS::Lambda::Function")


@pytest.mark.parametrize("key_name", ["data", "platform"])
def test_keys_rotate_and_are_retained(stage, key_name):
    template = _data_template(stage)
    key = template["Resources"][logical_id(getattr(stage.platform.data.keys, key_name))]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["Properties"]["PendingWindowInDays"] == 30
    assert key["DeletionPolicy"] == "Retain"
    assert key["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("key_name", ["data", "platform"])
def test_key_policies_name_every_user_and_grant_no_wildcard_action(stage, key_name):
    template = _data_template(stage)
    key = template["Resources"][logical_id(getattr(stage.platform.data.keys, key_name))]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    for statement in statements:
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in action for action in actions), statement["Sid"]
        assert statement["Sid"], "every statement says whom it is for"
    sids = {statement["Sid"] for statement in statements}
    assert {"KeyAdministration", "KeyUseDelegatedToIamInThisAccount"} <= sids
    administration = next(s for s in statements if s["Sid"] == "KeyAdministration")
    assert "kms:Decrypt" not in administration["Action"], "administering is not using"
    services = sorted(
        json.dumps(s["Principal"]["Service"]) for s in statements if "Service" in s["Principal"]
    )
    if key_name == "data":
        assert services == [], "no AWS service uses the student-data key on its own"
    else:
        assert len(services) == 3  # CloudWatch Logs, EventBridge, CloudWatch alarms


def test_every_resource_carries_project_stage_and_classification_tags(stage):
    template = _data_template(stage)
    tagged = [
        resource
        for resource in template["Resources"].values()
        if resource["Type"] in ("AWS::S3::Bucket", "AWS::KMS::Key")
    ]
    assert len(tagged) == 7
    for resource in tagged:
        tags = {tag["Key"]: tag["Value"] for tag in resource["Properties"]["Tags"]}
        assert tags["project"] == "ml-platform"
        assert tags["stage"] == stage.name
        assert tags["data-classification"] == _config(stage.name).data.data_classification
