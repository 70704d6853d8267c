"""The access matrix: a hand-written app with deliberately broadened roles, and the real app."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audit.builders import (
    allow,
    arn,
    export,
    imported,
    join,
    policy,
    ref,
    resource,
    write_assembly,
)
from tools.audit.access import AccessMatrix, Grant, Principal
from tools.audit.report import Audit, run_audit

DATA, JOBS = "App-dev-Data", "App-dev-Jobs"
ROOT = join("arn:", ref("AWS::Partition"), ":iam::", ref("AWS::AccountId"), ":root")
TLS_DENY = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:*",
    "Resource": [arn("Raw1"), join(arn("Raw1"), "/*")],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def _role(
    name: str, *statements: dict[str, object], managed: list[object] | None = None
) -> dict[str, object]:
    props: dict[str, object] = {
        "AssumeRolePolicyDocument": policy(
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        )
    }
    if statements:
        props["Policies"] = [{"PolicyName": "inline", "PolicyDocument": policy(*statements)}]
    if managed:
        props["ManagedPolicyArns"] = managed
    return resource("AWS::IAM::Role", f"{JOBS}/{name}/Resource", **props)


def _app(tmp_path: Path) -> Audit:
    raw_objects = join(arn("Raw1"), "/*")
    data = {
        "Resources": {
            "DataKey1": resource(
                "AWS::KMS::Key",
                f"{DATA}/DataKey/Key/Resource",
                KeyPolicy=policy(
                    allow(
                        ["kms:Decrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy"],
                        "*",
                        Principal={"AWS": ROOT},
                    ),
                ),
            ),
            "DataAlias1": resource(
                "AWS::KMS::Alias",
                f"{DATA}/DataKey/Alias/Resource",
                AliasName="alias/app-dev/data",
                TargetKeyId=ref("DataKey1"),
            ),
            "Raw1": resource(
                "AWS::S3::Bucket",
                f"{DATA}/Raw/Resource",
                BucketEncryption={
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "aws:kms",
                                "KMSMasterKeyID": arn("DataKey1"),
                            }
                        }
                    ]
                },
                PublicAccessBlockConfiguration={
                    k: True
                    for k in (
                        "BlockPublicAcls",
                        "BlockPublicPolicy",
                        "IgnorePublicAcls",
                        "RestrictPublicBuckets",
                    )
                },
            ),
            "RawPolicy1": resource(
                "AWS::S3::BucketPolicy",
                f"{DATA}/Raw/Policy/Resource",
                Bucket=ref("Raw1"),
                PolicyDocument=policy(
                    TLS_DENY,
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": arn("Denied1")},
                        "Action": "s3:GetObject",
                        "Resource": raw_objects,
                    },
                    allow("s3:GetObject", join(arn("Raw1"), "/public/*"), Principal="*"),
                ),
            ),
        },
        "Outputs": {
            "RawArn": export(arn("Raw1"), f"{DATA}:RawArn"),
            "KeyArn": export(arn("DataKey1"), f"{DATA}:KeyArn"),
        },
    }
    # Denied1 lives in the data stack so that its bucket policy can name it by GetAtt.
    data["Resources"]["Denied1"] = resource(
        "AWS::IAM::Role",
        f"{DATA}/Denied/Resource",
        Policies=[
            {"PolicyName": "p", "PolicyDocument": policy(allow("s3:GetObject", raw_objects))}
        ],
    )
    jobs = {
        "Resources": {
            # Least privilege: its prefix, and decrypt on the key through the import.
            "Reader1": _role(
                "Reader",
                allow("s3:GetObject", join(imported(f"{DATA}:RawArn"), "/incoming/*")),
                allow("kms:Decrypt", imported(f"{DATA}:KeyArn")),
            ),
            "Wild1": _role("Wild", allow("s3:*", "*")),
            "WholeBucket1": _role(
                "WholeBucket", allow("s3:GetObject", join(imported(f"{DATA}:RawArn"), "/*"))
            ),
            "GetStar1": _role(
                "GetStar", allow("s3:Get*", join(imported(f"{DATA}:RawArn"), "/incoming/*"))
            ),
            "KeyAdmin1": _role(
                "KeyAdmin", allow(["kms:Decrypt", "kms:PutKeyPolicy"], imported(f"{DATA}:KeyArn"))
            ),
            "Encrypts1": _role("Encrypts", allow("kms:Encrypt", imported(f"{DATA}:KeyArn"))),
            "Managed1": _role(
                "Managed",
                managed=[
                    join("arn:", ref("AWS::Partition"), ":iam::aws:policy/AmazonS3FullAccess")
                ],
            ),
            "Attached1": _role("Attached"),
            "AttachedPolicy1": resource(
                "AWS::IAM::Policy",
                f"{JOBS}/Attached/DefaultPolicy/Resource",
                PolicyName="attached",
                Roles=[ref("Attached1")],
                PolicyDocument=policy(
                    allow("s3:PutObject", join(imported(f"{DATA}:RawArn"), "/incoming/*"))
                ),
            ),
        }
    }
    directory = write_assembly(tmp_path, {DATA: data, JOBS: jobs}, dependencies={JOBS: [DATA]})
    return run_audit(directory)


@pytest.fixture
def broadened(tmp_path: Path) -> Audit:
    return _app(tmp_path)


def _principal(matrix: AccessMatrix, name: str) -> Principal:
    [principal] = [p for p in matrix.principals if p.label == name]
    return principal


def _grants(matrix: AccessMatrix, name: str, target: str, access: str) -> list[Grant]:
    return [g for g in matrix.cell(_principal(matrix, name), target) if g.access == access]


def _flags(audit: Audit, name: str) -> dict[str, str]:
    return {f.rule: f.severity for f in audit.access.flags if f.principal.label == name}


RAW, KEY = f"{DATA}/Raw1", f"{DATA}/DataKey1"


def test_least_privilege_role_reads_its_prefix_and_decrypts(broadened: Audit) -> None:
    matrix = broadened.access
    assert [g.scope for g in _grants(matrix, "Reader", RAW, "read")] == ["incoming/*"]
    [decrypt] = _grants(matrix, "Reader", KEY, "decrypt")
    assert decrypt.via.endswith("key policy delegation")
    assert _flags(broadened, "Reader") == {}
    [reader] = [r for r in matrix.student_data_readers() if r.principal.label == "Reader"]
    assert reader.can_decrypt and reader.scopes == ("incoming/*",)


def test_s3_star_on_star_is_in_the_matrix_and_flagged(broadened: Audit) -> None:
    matrix = broadened.access
    for access in ("read", "write", "delete", "list", "administer"):
        assert _grants(matrix, "Wild", RAW, access), access
    assert {g.scope for g in _grants(matrix, "Wild", RAW, "read")} == {"*"}
    flags = _flags(broadened, "Wild")
    assert flags["wildcard action"] == "high"
    assert flags["'*' resource on data"] == "high"
    assert flags["outside agreed prefixes"] == "high"
    assert flags["bucket administration"] == "medium"


def test_get_object_on_the_whole_raw_bucket_is_flagged(broadened: Audit) -> None:
    assert {g.scope for g in _grants(broadened.access, "WholeBucket", RAW, "read")} == {"*"}
    assert _flags(broadened, "WholeBucket") == {"outside agreed prefixes": "high"}
    # It can read objects but not decrypt them: listed, marked as unable to decrypt.
    [reader] = [
        r for r in broadened.access.student_data_readers() if r.principal.label == "WholeBucket"
    ]
    assert not reader.can_decrypt


def test_wildcard_actions_expand_against_the_catalog(broadened: Audit) -> None:
    [read] = _grants(broadened.access, "GetStar", RAW, "read")
    assert {"s3:GetObject", "s3:GetObjectVersion"} <= set(read.actions)
    assert not _grants(broadened.access, "GetStar", RAW, "write")
    assert _flags(broadened, "GetStar") == {"wildcard action": "medium"}


def test_admin_and_decrypt_on_one_key_is_flagged(broadened: Audit) -> None:
    assert _flags(broadened, "KeyAdmin")["administer and decrypt"] == "high"


def test_key_grants_the_key_policy_does_not_delegate_are_ineffective(broadened: Audit) -> None:
    principal = _principal(broadened.access, "Encrypts")
    [grant] = [g for g in broadened.access.grants if g.principal == principal]
    assert not grant.effective and "does not delegate" in grant.note
    assert _flags(broadened, "Encrypts") == {"ineffective key grant": "low"}


def test_an_unconditional_deny_removes_access(broadened: Audit) -> None:
    principal = _principal(broadened.access, "Denied")
    [grant] = [g for g in broadened.access.grants if g.principal == principal and g.target == RAW]
    assert not grant.effective and grant.note.startswith("denied by bucket policy")


def test_the_tls_deny_is_listed_with_its_condition(broadened: Audit) -> None:
    tls = [
        d for d in broadened.access.denies if d.target == RAW and "SecureTransport" in d.conditions
    ]
    assert {d.principal.label for d in tls} == {"everyone (*)"}
    assert {"read", "write", "delete", "list"} <= {d.access for d in tls}
    assert tls[0].conditions == "Bool aws:SecureTransport=false"


def test_public_bucket_policy_is_flagged(broadened: Audit) -> None:
    everyone = _principal(broadened.access, "everyone (*)")
    [grant] = [g for g in broadened.access.cell(everyone, RAW) if g.access == "read"]
    assert grant.scope == "public/*"
    assert _flags(broadened, "everyone (*)")["public or cross-account access"] == "high"


def test_attached_policies_count_and_managed_ones_are_flagged(broadened: Audit) -> None:
    assert [g.scope for g in _grants(broadened.access, "Attached", RAW, "write")] == ["incoming/*"]
    flags = [f for f in broadened.access.flags if f.principal.label == "Managed"]
    assert [f.rule for f in flags] == ["policy not in the templates"]
    assert "AmazonS3FullAccess" in flags[0].detail


def test_assumed_by_is_read_from_the_trust_policy(broadened: Audit) -> None:
    principal = _principal(broadened.access, "Reader")
    assert broadened.access.assumed_by[principal] == ["lambda.amazonaws.com"]


# --- the real app -------------------------------------------------------------------------------
def _account(audit: Audit) -> Principal:
    [account] = [p for p in audit.access.principals if p.kind == "account"]
    return account


def test_keys_delegate_use_to_iam_in_the_account(stage_audit: Audit) -> None:
    account = _account(stage_audit)
    for key in stage_audit.access.keys:
        accesses = {g.access for g in stage_audit.access.cell(account, key.address)}
        assert {"decrypt", "encrypt", "administer"} <= accesses
        [decrypt] = [
            g for g in stage_audit.access.cell(account, key.address) if g.access == "decrypt"
        ]
        assert decrypt.conditions.startswith("StringEquals kms:CallerAccount=")


def test_no_aws_service_can_decrypt_the_data_key(stage_audit: Audit) -> None:
    [data_key] = [k for k in stage_audit.access.keys if k.holds_student_data]
    services = [
        g
        for g in stage_audit.access.grants
        if g.principal.kind == "service" and g.target == data_key.address and g.effective
    ]
    assert services == []


def test_cloudwatch_logs_uses_the_platform_key_only_for_this_accounts_log_groups(
    stage_audit: Audit,
) -> None:
    [platform_key] = [k for k in stage_audit.access.keys if k.key.aliases[0].endswith("/platform")]
    [grant] = [
        g
        for g in stage_audit.access.grants
        if g.principal.id.startswith("logs.")
        and g.target == platform_key.address
        and g.access == "decrypt"
    ]
    assert "kms:EncryptionContext:aws:logs:arn=" in grant.conditions
    assert ":log-group:*" in grant.conditions


def test_every_data_bucket_denies_requests_without_tls(stage_audit: Audit) -> None:
    for bucket in stage_audit.access.buckets:
        tls = [
            d
            for d in stage_audit.access.denies
            if d.target == bucket.address and d.conditions == "Bool aws:SecureTransport=false"
        ]
        assert {d.access for d in tls} >= {"read", "write", "delete"}, bucket.label


def test_no_role_of_the_app_reaches_data_beyond_its_agreed_prefixes(stage_audit: Audit) -> None:
    broad = [
        f
        for f in stage_audit.access.flags
        if f.rule
        in (
            "outside agreed prefixes",
            "'*' resource on data",
            "administer and decrypt",
            "public or cross-account access",
        )
    ]
    assert broad == []


def test_the_validator_reads_only_uploads_and_quarantine(stage_audit: Audit) -> None:
    """Hand-written: the ingestion stack's validator role, as the ingestion design intends."""
    matrix = stage_audit.access
    validator = _principal(matrix, "ValidatorRole")
    assert stage_audit.access.assumed_by[validator] == ["lambda.amazonaws.com"]
    reads = {
        (r.bucket.label, r.scopes, r.can_decrypt)
        for r in matrix.student_data_readers()
        if r.principal == validator
    }
    assert reads == {("Raw", ("incoming/*",), True), ("Quarantine", ("quarantine/*",), True)}
    [curated] = [b for b in matrix.buckets if b.label == "Curated"]
    writes = {g.scope for g in matrix.cell(validator, curated.address) if g.access == "write"}
    assert writes == {"validated/*"}
