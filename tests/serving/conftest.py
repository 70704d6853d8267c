"""The serving stacks in their own small app, synthesized once per session.

Why an app of its own: the stages of cdk.json synthesize without a model package ARN (approved
versions differ per account, so cdk.json names none) and therefore skip the serving stack. Here
each stage gets an example ARN through ``serving.model_package_arn``, and a stand-in foundation
stack provides the keys, buckets and topic, so that these templates and snapshots change only
when the serving code does. Three stages share one app (one synth):

* ``dev`` and ``prod``: exactly cdk.json's settings (serverless; provisioned with a canary);
* ``qa``: prod's settings with a linear rollout, network isolation and a VPC, the options
  neither real stage uses yet.

The compliance packs are run on the serving stacks only (the stand-ins are not the platform's).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest

SERVED_STAGES = ("dev", "prod", "qa")


def example_arn(stage: str, version: int = 3) -> str:
    return (
        f"arn:aws:sagemaker:us-east-1:123456789012:model-package/"
        f"ml-platform-{stage}-student-grades/{version}"
    )


@dataclass
class ServedStage:
    name: str
    config: Any  # StageConfig
    stacks: Any  # stacks.serving.wiring.ServingStacks
    foundation: Any  # the stand-in stack
    keys: Any
    buckets: Any
    topic: Any
    assembly: Any
    # Templates read once: each read crosses into the jsii runtime.
    _templates: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def serving(self) -> Any:
        return self.stacks.serving

    @property
    def approvals(self) -> Any:
        return self.stacks.approvals

    def template(self, stack: Any) -> dict[str, Any]:
        """The synthesized template (a fresh copy: tests may not change each other's input)."""
        name = stack.stack_name
        if name not in self._templates:
            self._templates[name] = self.assembly.get_stack_by_name(name).template
        return copy.deepcopy(self._templates[name])


def _stages_with_arns() -> dict[str, Any]:
    from stacks.config import cdk_json_context

    stages = copy.deepcopy(cdk_json_context()["ml-platform:stages"])
    qa = copy.deepcopy(stages["prod"])
    qa["serving"]["network_isolation"] = True
    qa["serving"]["provisioned"]["rollout"].update(
        {"traffic_shifting": "linear", "step_percent": 25, "wait_interval_seconds": 300}
    )
    stages["qa"] = qa
    for name in SERVED_STAGES:
        stages[name]["serving"]["model_package_arn"] = example_arn(name)
    return stages


def _foundation(app: Any, config: Any, env: Any, *, with_network: bool) -> tuple[Any, ...]:
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3
    from aws_cdk import aws_sns as sns

    from stacks.constructs.vpc_permissions import SubnetPlacement
    from stacks.data_stack import PlatformBuckets, PlatformKeys

    stack = cdk.Stack(app, f"Foundation-{config.name}", env=env)
    keys = PlatformKeys(data=kms.Key(stack, "DataKey"), platform=kms.Key(stack, "PlatformKey"))
    buckets = PlatformBuckets(
        **{name: s3.Bucket(stack, name.title()) for name in PlatformBuckets.__annotations__}
    )
    topic = sns.Topic(stack, "Alerts")
    network = None
    if with_network:
        vpc = ec2.Vpc(
            stack,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="models", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
            ],
        )
        group = ec2.SecurityGroup(stack, "Models", vpc=vpc, allow_all_outbound=False)
        network = SubnetPlacement(subnets=vpc.isolated_subnets, security_groups=[group])
    return stack, keys, buckets, topic, network


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ServedStage]:
    """dev, prod and qa serving stacks, synthesized once for the whole session."""
    import aws_cdk as cdk

    from stacks.config import cdk_json_context, parse_stage_config
    from stacks.serving.wiring import build_serving_stacks

    stages = _stages_with_arns()
    context = {**cdk_json_context(), "ml-platform:stages": stages}
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("serving-out")), context=context)
    built = {}
    for name in SERVED_STAGES:
        config = parse_stage_config(name, stages)
        env = cdk.Environment(account=config.account, region=config.region)
        foundation, keys, buckets, topic, network = _foundation(
            app, config, env, with_network=name == "qa"
        )
        stacks = build_serving_stacks(
            app,
            config,
            env=env,
            keys=keys,
            buckets=buckets,
            alerts_topic=topic,
            model_package_group_name=f"{config.resource_prefix}-student-grades",
            network=network,
        )
        built[name] = (config, stacks, foundation, keys, buckets, topic)
    assembly = app.synth()
    return {
        name: ServedStage(name, config, stacks, foundation, keys, buckets, topic, assembly)
        for name, (config, stacks, foundation, keys, buckets, topic) in built.items()
    }


@pytest.fixture(scope="session", params=SERVED_STAGES)
def served_stage(request: pytest.FixtureRequest, served: dict[str, ServedStage]) -> ServedStage:
    return served[request.param]
