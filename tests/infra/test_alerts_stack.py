"""The alerts topic: encrypted with the platform key; only CloudWatch and EventBridge publish."""

from __future__ import annotations

from stacks.config import parse_stage_config

from .helpers import resources_of_type


def test_topic_is_encrypted_with_the_platform_key(stage):
    template = stage.template(stage.platform.alerts)
    (topic,) = resources_of_type(template, "AWS::SNS::Topic").values()
    key_ref = topic["Properties"]["KmsMasterKeyId"]
    # The key lives in the data stack: the reference is an import of its ARN.
    assert "Fn::ImportValue" in key_ref
    assert "PlatformKey" in key_ref["Fn::ImportValue"]


def test_only_cloudwatch_and_eventbridge_of_this_account_may_publish(stage):
    template = stage.template(stage.platform.alerts)
    (policy,) = resources_of_type(template, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    (publish,) = allows
    assert publish["Action"] == "sns:Publish"
    assert sorted(publish["Principal"]["Service"]) == [
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    ]
    assert publish["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert denies and denies[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_email_subscriptions_come_from_the_stage_config():
    import aws_cdk as cdk

    from stacks.alerts_stack import AlertsStack

    config = parse_stage_config(
        "dev", {"dev": {"region": "us-east-1", "alerts": {"emails": ["oncall@example.org"]}}}
    )
    app = cdk.App()
    key_stack = cdk.Stack(app, "Keys")
    key = cdk.aws_kms.Key(key_stack, "Key")
    alerts = AlertsStack(app, "Alerts", config=config, platform_key=key)
    template = app.synth().get_stack_by_name(alerts.stack_name).template
    (subscription,) = resources_of_type(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "oncall@example.org"
