"""Which model package a synth serves (context key, cdk.json, checks against the stage), and a
VPC refused for a serverless endpoint."""

from __future__ import annotations

import copy

import pytest

from stacks.config import ConfigError, cdk_json_context, parse_stage_config
from stacks.serving.selection import ModelPackage, select_model_package

from .conftest import example_arn

GROUP = "ml-platform-prod-student-grades"
STAGES = cdk_json_context()["ml-platform:stages"]


class FakeNode:
    def __init__(self, context: dict) -> None:
        self._context = context

    def try_get_context(self, key: str):
        return self._context.get(key)


def _prod(*, account: str | None = None, arn_in_cdk_json: str | None = None):
    stages = copy.deepcopy(STAGES)
    if account is not None:
        stages["prod"]["account"] = account
    if arn_in_cdk_json is not None:
        stages["prod"]["serving"]["model_package_arn"] = arn_in_cdk_json
    return parse_stage_config("prod", stages)


def _select(config, **context):
    return select_model_package(FakeNode(context), config, model_package_group_name=GROUP)


def test_nothing_given_serves_nothing():
    assert _select(_prod()) is None


def test_context_key_is_parsed_into_its_parts():
    package = _select(_prod(), model_package_arn=f" {example_arn('prod', 12)} ")
    assert package == ModelPackage(
        arn=example_arn("prod", 12),
        partition="aws",
        region="us-east-1",
        account="123456789012",
        group=GROUP,
        version=12,
    )


def test_context_key_wins_over_cdk_json():
    config = _prod(arn_in_cdk_json=example_arn("prod", 1))
    assert _select(config).version == 1
    assert _select(config, model_package_arn=example_arn("prod", 2)).version == 2


@pytest.mark.parametrize(
    ("config_kwargs", "arn", "message"),
    [
        (
            {},
            "arn:aws:sagemaker:us-east-1:123456789012:model-package/" + GROUP,
            r"context model_package_arn: names a model package group, not a version",
        ),
        ({}, "", r"context model_package_arn: must be a versioned model package ARN"),
        (
            {},
            example_arn("prod").replace("us-east-1", "eu-west-1"),
            r"the model package is in region 'eu-west-1', the stage deploys to 'us-east-1'",
        ),
        (
            {"account": "999999999999"},
            example_arn("prod"),
            r"in account 123456789012, the stage deploys to account 999999999999",
        ),
        (
            {},
            example_arn("dev"),
            r"belongs to group 'ml-platform-dev-student-grades'; this stage serves only versions "
            r"of 'ml-platform-prod-student-grades'",
        ),
    ],
)
def test_an_arn_the_stage_cannot_serve_is_refused_with_the_reason(config_kwargs, arn, message):
    with pytest.raises(ConfigError, match=message) as error:
        _select(_prod(**config_kwargs), model_package_arn=arn)
    assert str(error.value).startswith("stage 'prod': context model_package_arn: ")


def test_a_bad_arn_in_cdk_json_is_named_by_its_key():
    config = _prod(arn_in_cdk_json=example_arn("dev"))
    message = r"^stage 'prod': serving\.model_package_arn: the model package belongs to group"
    with pytest.raises(ConfigError, match=message):
        _select(config)


def test_a_vpc_for_a_serverless_endpoint_is_refused_naming_the_mode():
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_sns as sns

    from stacks.constructs.vpc_permissions import SubnetPlacement
    from stacks.data_stack import PlatformBuckets, PlatformKeys
    from stacks.serving.serving_stack import ServingStack

    config = parse_stage_config("dev", STAGES)
    app = cdk.App()
    base = cdk.Stack(app, "Base")
    subnet = ec2.Subnet.from_subnet_id(base, "Subnet", "subnet-0123")
    group = ec2.SecurityGroup.from_security_group_id(base, "Group", "sg-0123")
    with pytest.raises(ConfigError, match=r"^stage 'dev': serving\.mode: serverless endpoints"):
        ServingStack(
            app,
            "Serving",
            config=config,
            settings=config.serving,
            package=ModelPackage.parse(example_arn("dev")),
            keys=PlatformKeys(data=kms.Key(base, "D"), platform=kms.Key(base, "P")),
            buckets=PlatformBuckets(
                **{name: s3.Bucket(base, name) for name in PlatformBuckets.__annotations__}
            ),
            alerts_topic=sns.Topic(base, "T"),
            network=SubnetPlacement(subnets=[subnet], security_groups=[group]),
        )
