"""The stages of cdk.json: no model package ARN, so the serving stack is skipped, cleanly."""

from __future__ import annotations

from stacks.serving.approval_stack import ApprovalNotificationStack
from stacks.serving.wiring import skipped_notice


def test_stage_without_an_arn_has_the_approval_rule_but_no_serving_stack(stage):
    platform = stage.platform
    assert platform.serving is None
    assert isinstance(platform.approvals, ApprovalNotificationStack)
    assert platform.approvals in platform.stacks
    names = [stack.stack_name for stack in platform.stacks]
    assert f"MlPlatform-{stage.name}-Approvals" in names
    assert f"MlPlatform-{stage.name}-Serving" not in names
    assert platform.approvals.model_package_group_name == (
        f"ml-platform-{stage.name}-student-grades"
    )


def test_skipping_says_how_to_enable_serving_in_one_line(stage):
    artifact = stage.assembly.get_stack_by_name(f"MlPlatform-{stage.name}-Approvals")
    infos = [message.entry.data for message in artifact.messages if message.level.value == "INFO"]
    assert infos == [skipped_notice(stage.name)]
    (notice,) = infos
    assert "\n" not in notice
    assert f"make deploy STAGE={stage.name} CDK_ARGS='-c model_package_arn=" in notice
