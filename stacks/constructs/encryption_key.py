"""A customer-managed KMS key whose policy lists, statement by statement, who may use it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# Administration without use: the deployment (through the account's IAM) may manage the key
# but these actions never decrypt anything. Listed one by one: no "kms:*" in a key policy.
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)

# Cryptographic use, delegated to IAM in this account: a principal may use the key only when its
# own IAM policy also grants the action on this key (the platform's roles list it per key).
KEY_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)

# What an AWS service needs to encrypt and decrypt on a resource's behalf.
SERVICE_USE_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class ServiceUse:
    """An AWS service that uses the key itself, and the condition that scopes it."""

    sid: str
    service: str  # service principal, e.g. "events.amazonaws.com"
    conditions: Mapping[str, Any] = field(default_factory=dict)
    actions: tuple[str, ...] = SERVICE_USE_ACTIONS


def cloudwatch_logs_use(stack: Stack, log_group_name: str = "*") -> ServiceUse:
    """CloudWatch Logs may use the key for this account's log groups (or the one named)."""
    return ServiceUse(
        sid="CloudWatchLogsEncryptsThisAccountsLogGroups",
        service=f"logs.{stack.region}.amazonaws.com",
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": (
                    f"arn:{stack.partition}:logs:{stack.region}:{stack.account}"
                    f":log-group:{log_group_name}"
                )
            }
        },
        actions=(
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
        ),
    )


class EncryptionKey(Construct):
    """A rotating, retained KMS key with an explicit policy: each statement names its users."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        description: str,
        alias: str,
        services: Sequence[ServiceUse] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        account_root = iam.AccountRootPrincipal()
        in_this_account = {"StringEquals": {"kms:CallerAccount": stack.account}}
        statements = [
            iam.PolicyStatement(
                sid="KeyAdministration",
                principals=[account_root],
                actions=list(KEY_ADMIN_ACTIONS),
                resources=["*"],  # in a key policy, "*" is this key
            ),
            iam.PolicyStatement(
                sid="KeyUseDelegatedToIamInThisAccount",
                principals=[account_root],
                actions=list(KEY_USE_ACTIONS),
                resources=["*"],
                conditions=in_this_account,
            ),
            iam.PolicyStatement(
                sid="GrantsOnlyForAwsResources",
                principals=[account_root],
                actions=["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                resources=["*"],
                conditions={**in_this_account, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            ),
        ]
        statements += [
            iam.PolicyStatement(
                sid=use.sid,
                principals=[iam.ServicePrincipal(use.service)],
                actions=list(use.actions),
                resources=["*"],
                conditions=dict(use.conditions),
            )
            for use in services
        ]
        self.key = kms.Key(
            self,
            "Key",
            description=description,
            alias=alias,
            enable_key_rotation=True,
            rotation_period=Duration.days(365),
            pending_window=Duration.days(30),
            policy=iam.PolicyDocument(statements=statements),
            removal_policy=RemovalPolicy.RETAIN,
        )
