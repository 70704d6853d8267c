"""The access matrix: who can do what to each bucket (per prefix) and each KMS key.

Evaluated from the templates alone, the way IAM evaluates a request in one account:

* S3: an Allow in the principal's identity policies OR in the bucket policy naming it;
* KMS: an Allow in the key policy naming the principal, OR an Allow in its identity policies for
  an action the key policy delegates to the account (``arn:...:root``);
* an explicit Deny wins. Unconditional denies remove access; conditional ones (the TLS-only
  deny) are listed with their condition. Allow conditions are shown, not evaluated.

Wildcard actions are expanded against the small catalogs below; resource patterns are matched
against each bucket's ARN (bucket-level actions) and its objects (object-level actions), which
gives the prefix each grant reaches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from .assembly import CloudAssembly, Resource
from .encryption import bucket_key
from .expectations import agreed_prefixes, within
from .intrinsics import ACCOUNT_PLACEHOLDER, TOKEN, Resolver, references_in
from .keys import KeyCatalog, ManagedKey
from .policies import (
    PolicySource,
    Statement,
    action_matches,
    condition_keys,
    covers_resource,
    format_conditions,
    has_wildcard,
    parse_document,
    resource_matches,
)

S3_ACCESS: Mapping[str, tuple[str, ...]] = {
    "read": (
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:GetObjectAttributes",
        "s3:GetObjectVersionAttributes",
        "s3:GetObjectTorrent",
    ),
    "write": ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ReplicateObject", "s3:RestoreObject"),
    "delete": (
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:DeleteBucket",
        "s3:PutLifecycleConfiguration",
    ),
    "list": (
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:ListBucketMultipartUploads",
        "s3:ListMultipartUploadParts",
    ),
    "administer": (
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutEncryptionConfiguration",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketAcl",
        "s3:PutObjectAcl",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketVersioning",
        "s3:PutReplicationConfiguration",
        "s3:PutBucketLogging",
        "s3:BypassGovernanceRetention",
    ),
}
S3_OBJECT_ACTIONS = frozenset(
    {
        *S3_ACCESS["read"],
        *S3_ACCESS["write"],
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:ListMultipartUploadParts",
        "s3:PutObjectAcl",
        "s3:BypassGovernanceRetention",
    }
)
KMS_ACCESS: Mapping[str, tuple[str, ...]] = {
    "decrypt": ("kms:Decrypt", "kms:ReEncryptFrom"),
    "encrypt": (
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:GenerateDataKeyPair",
        "kms:GenerateDataKeyPairWithoutPlaintext",
        "kms:ReEncryptTo",
    ),
    "grant": ("kms:CreateGrant",),
    "administer": (
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
        "kms:DisableKey",
        "kms:EnableKey",
        "kms:DisableKeyRotation",
        "kms:EnableKeyRotation",
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:UpdateAlias",
        "kms:UpdateKeyDescription",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:RevokeGrant",
        "kms:RotateKeyOnDemand",
        "kms:ImportKeyMaterial",
        "kms:DeleteImportedKeyMaterial",
        "kms:ReplicateKey",
        "kms:UpdatePrimaryRegion",
    ),
}
BUCKET_SCOPE = "(bucket)"
DELEGATION = " + key policy delegation"
NOT_DELEGATED = "the key policy does not delegate this to IAM"
KEY_SCOPE = "(key)"
# Conditions that tie a "*" principal to this account or one resource: not public.
RESTRICTING_CONDITION_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceOwner",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:ResourceAccount",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "kms:CallerAccount",
        "aws:userid",
    )
)
_PROBE_KEY = "zz-audit-probe/any-key"  # an object key no agreed prefix contains
_ACCOUNT = r"(?P<account>\d{12}|\{\{account\}\})"
_ROOT = re.compile(rf"^arn:aws[a-z-]*:iam::{_ACCOUNT}:root$")
_IAM_ARN = re.compile(
    r"^arn:aws[a-z-]*:iam::(?P<account>[^:]+):(?P<kind>role|user|group)/(?:.*/)?(?P<name>[^/]+)$"
)


# --- principals ---------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Principal:
    kind: str  # role | user | group | service | account | everyone | external | federated
    id: str  # resource address for IAM resources, service or account otherwise
    label: str

    @property
    def is_iam_identity(self) -> bool:
        return self.kind in ("role", "user", "group")


EVERYONE = Principal("everyone", "*", "everyone (*)")
_IAM_TYPES = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group"}
_NAME_PROPERTY = {"role": "RoleName", "user": "UserName", "group": "GroupName"}


def _iam_principal(resource: Resource) -> Principal:
    return Principal(_IAM_TYPES[resource.type], resource.address, resource.name)


# --- resources under analysis -------------------------------------------------------------------
@dataclass(frozen=True)
class BucketTarget:
    resource: Resource
    arn: str
    key: ManagedKey | None
    agreed_prefixes: tuple[str, ...] | None

    @property
    def address(self) -> str:
        return self.resource.address

    @property
    def label(self) -> str:
        return self.resource.name

    @property
    def holds_student_data(self) -> bool:
        return self.key is not None and self.key.holds_student_data


@dataclass(frozen=True)
class KeyTarget:
    key: ManagedKey

    @property
    def address(self) -> str:
        return self.key.address

    @property
    def label(self) -> str:
        return self.key.label

    @property
    def holds_student_data(self) -> bool:
        return self.key.holds_student_data


# --- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grant:
    principal: Principal
    target: str  # address of the bucket or key
    access: str  # read/write/delete/list/administer, or decrypt/encrypt/grant/administer
    effect: str  # Allow | Deny
    scope: str  # object-key pattern, BUCKET_SCOPE or KEY_SCOPE
    actions: tuple[str, ...]
    via: str
    conditions: str
    effective: bool = True
    note: str = ""
    condition_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AccessFlag:
    severity: str  # high | medium | low
    rule: str
    principal: Principal
    target: str | None
    detail: str


@dataclass(frozen=True)
class StudentDataReader:
    principal: Principal
    bucket: BucketTarget
    scopes: tuple[str, ...]
    can_decrypt: bool
    conditions: str


@dataclass
class AccessMatrix:
    buckets: list[BucketTarget]
    keys: list[KeyTarget]
    principals: list[Principal]
    assumed_by: dict[Principal, list[str]]
    grants: list[Grant]
    denies: list[Grant]  # conditional denies (unconditional ones also mark grants ineffective)
    flags: list[AccessFlag]
    managed_policies: dict[Principal, list[str]] = field(default_factory=dict)

    def cell(self, principal: Principal, target: str) -> list[Grant]:
        return [
            grant
            for grant in self.grants
            if grant.principal == principal and grant.target == target and grant.effective
        ]

    def student_data_readers(self) -> list[StudentDataReader]:
        readers = []
        for bucket in (b for b in self.buckets if b.holds_student_data):
            for principal in self.principals:
                reads = [g for g in self.cell(principal, bucket.address) if g.access == "read"]
                if not reads:
                    continue
                decrypts = [
                    g
                    for g in self.cell(principal, bucket.key.address if bucket.key else "")
                    if g.access == "decrypt"
                ]
                conditions = "; ".join(
                    sorted({g.conditions for g in reads + decrypts if g.conditions})
                )
                readers.append(
                    StudentDataReader(
                        principal,
                        bucket,
                        tuple(sorted({g.scope for g in reads})),
                        bool(decrypts),
                        conditions,
                    )
                )
        return readers


# --- collection ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResourcePolicy:
    target: Resource
    statements: tuple[Statement, ...]


_RESOURCE_POLICY_TYPES = {
    # policy resource type: (kind, target property, document property)
    "AWS::S3::BucketPolicy": ("bucket policy", "Bucket", "PolicyDocument"),
    "AWS::SNS::TopicPolicy": ("topic policy", "Topics", "PolicyDocument"),
    "AWS::SQS::QueuePolicy": ("queue policy", "Queues", "PolicyDocument"),
    "AWS::SecretsManager::ResourcePolicy": ("secret policy", "SecretId", "ResourcePolicy"),
}
# Resources that carry their own policy document.
_INLINE_RESOURCE_POLICIES = {
    "AWS::KMS::Key": ("key policy", "KeyPolicy"),
    "AWS::ECR::Repository": ("repository policy", "RepositoryPolicyText"),
    "AWS::EC2::VPCEndpoint": ("endpoint policy", "PolicyDocument"),
    "AWS::ApiGateway::RestApi": ("API policy", "Policy"),
}


def resource_policies(assembly: CloudAssembly, resolver: Resolver) -> list[ResourcePolicy]:
    """Every resource-based policy in the assembly, with the resource it governs."""
    policies: list[ResourcePolicy] = []
    for resource in assembly.resources():
        if resource.type in _INLINE_RESOURCE_POLICIES:
            kind, document_property = _INLINE_RESOURCE_POLICIES[resource.type]
            document = resource.properties.get(document_property)
            if document is None:
                continue
            source = PolicySource(kind, resource.address, resource.name)
            statements = parse_document(document, resolver, resource.stack, source)
            policies.append(ResourcePolicy(resource, tuple(statements)))
        elif resource.type in _RESOURCE_POLICY_TYPES:
            kind, target_property, document_property = _RESOURCE_POLICY_TYPES[resource.type]
            source = PolicySource(kind, resource.address, resource.name)
            statements = parse_document(
                resource.properties.get(document_property), resolver, resource.stack, source
            )
            for reference in resolver.references(
                resource.properties.get(target_property), resource.stack
            ):
                target = resolver.resource_of(reference)
                if target is not None:
                    policies.append(ResourcePolicy(target, tuple(statements)))
    return policies


class _Collector:
    """Identity statements per IAM principal, from every policy attached to it."""

    def __init__(self, assembly: CloudAssembly, resolver: Resolver) -> None:
        self.assembly, self.resolver = assembly, resolver
        self.identity: dict[Principal, list[Statement]] = {}
        self.managed: dict[Principal, list[str]] = {}
        self.assumed_by: dict[Principal, list[str]] = {}
        # IAM identities whose template sets their name literally: (kind, name) -> principal.
        self.by_literal_name: dict[tuple[str, str], Principal] = {}
        for resource in assembly.resources():
            if resource.type in _IAM_TYPES:
                principal = _iam_principal(resource)
                self.identity.setdefault(principal, [])
                name = resource.properties.get(_NAME_PROPERTY[principal.kind])
                if isinstance(name, str):
                    self.by_literal_name[(principal.kind, name)] = principal
        self._attached_managed: set[tuple[Principal, str]] = set()
        for resource in assembly.resources():
            self._collect(resource)

    def principals_named(self, kind: str, value: object, stack: str) -> list[Principal]:
        found: list[Principal] = []
        for text in self.resolver.texts(value, stack):
            references = [r for r in references_in(text) if self.resolver.resource_of(r)]
            resources = [self.resolver.resource_of(r) for r in references]
            iam = [r for r in resources if r is not None and r.type in _IAM_TYPES]
            if iam:
                found.extend(_iam_principal(r) for r in iam)
            elif (kind, text) in self.by_literal_name:
                found.append(self.by_literal_name[(kind, text)])
            else:
                found.append(Principal(kind, f"external:{text}", f"{text} (not in this assembly)"))
        return found

    def _attach(self, principals: Iterable[Principal], statements: list[Statement]) -> None:
        for principal in principals:
            self.identity.setdefault(principal, []).extend(statements)

    def _collect(self, resource: Resource) -> None:
        props, stack = resource.properties, resource.stack
        if resource.type in _IAM_TYPES:
            principal = _iam_principal(resource)
            for policy in props.get("Policies") or []:
                name = self.resolver.text(policy.get("PolicyName"), stack)
                source = PolicySource(
                    "identity", resource.address, f"{resource.name} inline {name}"
                )
                self._attach(
                    [principal],
                    parse_document(policy.get("PolicyDocument"), self.resolver, stack, source),
                )
            for arn in self.resolver.texts(props.get("ManagedPolicyArns"), stack):
                managed = [
                    r
                    for r in map(self.resolver.resource_of, references_in(arn))
                    if r is not None and r.type == "AWS::IAM::ManagedPolicy"
                ]
                if managed:
                    for policy in managed:
                        self._attach_managed(principal, policy)
                else:
                    self.managed.setdefault(principal, []).append(arn)
            if resource.type == "AWS::IAM::Role":
                self.assumed_by[principal] = self._trust(resource)
        elif resource.type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for kind, prop in (("role", "Roles"), ("user", "Users"), ("group", "Groups")):
                for principal in self.principals_named(kind, props.get(prop), stack):
                    if resource.type == "AWS::IAM::ManagedPolicy":
                        self._attach_managed(principal, resource)
                    else:
                        name = self.resolver.text(props.get("PolicyName"), stack)
                        source = PolicySource("identity", resource.address, name or resource.name)
                        self._attach(
                            [principal],
                            parse_document(
                                props.get("PolicyDocument"), self.resolver, stack, source
                            ),
                        )
        elif resource.type in (
            "AWS::IAM::RolePolicy",
            "AWS::IAM::UserPolicy",
            "AWS::IAM::GroupPolicy",
        ):
            kind = resource.type.removeprefix("AWS::IAM::").removesuffix("Policy").lower()
            prop = {"role": "RoleName", "user": "UserName", "group": "GroupName"}[kind]
            name = self.resolver.text(props.get("PolicyName"), stack)
            source = PolicySource("identity", resource.address, name or resource.name)
            statements = parse_document(props.get("PolicyDocument"), self.resolver, stack, source)
            self._attach(self.principals_named(kind, props.get(prop), stack), statements)

    def _attach_managed(self, principal: Principal, policy: Resource) -> None:
        if (principal, policy.address) in self._attached_managed:
            return
        self._attached_managed.add((principal, policy.address))
        source = PolicySource("identity", policy.address, f"managed policy {policy.name}")
        statements = parse_document(
            policy.properties.get("PolicyDocument"), self.resolver, policy.stack, source
        )
        self._attach([principal], statements)

    def _trust(self, role: Resource) -> list[str]:
        document = role.properties.get("AssumeRolePolicyDocument")
        if document is None:
            return []
        source = PolicySource("trust policy", role.address, role.name)
        trusted = []
        for statement in parse_document(document, self.resolver, role.stack, source):
            if statement.allows() and statement.principals:
                for kind, values in statement.principals.entries.items():
                    for value in values:
                        principal = classify_principal(kind, value, role.stack, self.resolver, self)
                        condition = format_conditions(statement.conditions)
                        trusted.append(
                            principal.label + (f" when {condition}" if condition else "")
                        )
        return trusted


def classify_principal(
    kind: str, value: str, stack: str, resolver: Resolver, collector: _Collector | None = None
) -> Principal:
    """The principal one entry of a Principal block names (in a policy of ``stack``)."""
    if kind == "Service":
        return Principal("service", value, value)
    if kind == "Federated":
        return Principal("federated", value, f"federated {value}")
    if kind != "AWS":
        return Principal("external", value, f"{kind} {value}")
    if value == "*":
        return EVERYONE
    account = resolver.stack_account(stack)
    this_account = {account, ACCOUNT_PLACEHOLDER}
    for reference in references_in(value):
        resource = resolver.resource_of(reference)
        if resource is not None and resource.type in _IAM_TYPES:
            return _iam_principal(resource)
    root = _ROOT.match(value)
    if root or re.fullmatch(r"\d{12}", value):
        named = root["account"] if root else value
        if named in this_account:
            return Principal("account", "this account", "IAM principals of this account")
        return Principal("external", named, f"account {named}")
    iam = _IAM_ARN.match(value)
    if iam and iam["account"] in this_account and collector is not None:
        principal = collector.by_literal_name.get((iam["kind"], iam["name"]))
        if principal is not None:
            return principal
    return Principal("external", value, value)


# --- matching -----------------------------------------------------------------------------------
def _mask_tokens(text: str) -> str:
    return TOKEN.sub(lambda match: "\0" * len(match.group(0)), text)


def object_scope(pattern: str, bucket_arn: str) -> str | None:
    """The object-key pattern ``pattern`` reaches in the bucket, None when none."""
    prefix = f"{bucket_arn}/"
    if pattern.startswith(prefix):
        return pattern[len(prefix) :]
    if resource_matches(pattern, prefix + _PROBE_KEY):
        return "*"
    slash = _mask_tokens(pattern).find("/")
    if slash > 0 and resource_matches(pattern[:slash], bucket_arn):
        return pattern[slash + 1 :]
    return None


def _unrelated_arn(arn: str) -> str:
    """An ARN of the same service that names another resource: for spotting '*' resources."""
    masked = _mask_tokens(arn)
    if ":s3:::" in arn:
        return arn.split(":s3:::", 1)[0] + ":s3:::zz-audit-unrelated-bucket"
    cut = max(masked.rfind("/"), masked.rfind(":"))
    return arn[: cut + 1] + "zz-audit-unrelated"


def _principal_matches(
    statement: Statement,
    principal: Principal,
    stack: str,
    resolver: Resolver,
    collector: _Collector,
) -> bool:
    if statement.principals is None:
        return False
    named = {
        classify_principal(kind, value, stack, resolver, collector)
        for kind, values in statement.principals.entries.items()
        for value in values
    }
    hit = principal in named or EVERYONE in named
    return hit != statement.not_principal


def _delegates(statement: Statement, stack: str, resolver: Resolver) -> bool:
    """A key-policy statement that names this account's root: IAM policies decide."""
    if statement.principals is None:
        return False
    return any(
        classify_principal("AWS", value, stack, resolver).kind == "account"
        for value in statement.principals.of_kind("AWS")
    )


# --- evaluation ---------------------------------------------------------------------------------
def _bucket_grants(
    principal: Principal, statement: Statement, bucket: BucketTarget, via_delegation: bool = False
) -> list[Grant]:
    grants = []
    conditions = format_conditions(statement.conditions)
    for access, catalog in S3_ACCESS.items():
        by_scope: dict[str, list[str]] = {}
        for action in catalog:
            if not statement.covers_action(action):
                continue
            if action in S3_OBJECT_ACTIONS:
                if statement.not_resource:
                    if covers_resource(statement, f"{bucket.arn}/{_PROBE_KEY}"):
                        by_scope.setdefault("* (NotResource)", []).append(action)
                    continue
                for pattern in statement.resources:
                    scope = object_scope(pattern, bucket.arn)
                    if scope is not None:
                        by_scope.setdefault(scope, []).append(action)
            elif covers_resource(statement, bucket.arn):
                by_scope.setdefault(BUCKET_SCOPE, []).append(action)
        for scope, actions in by_scope.items():
            grants.append(
                Grant(
                    principal,
                    bucket.address,
                    access,
                    statement.effect,
                    scope,
                    tuple(dict.fromkeys(actions)),
                    statement.label,
                    conditions,
                    condition_keys=frozenset(condition_keys(statement.conditions)),
                )
            )
    return grants


def _key_grants(
    principal: Principal, statement: Statement, key: KeyTarget, *, in_key_policy: bool
) -> list[Grant]:
    grants = []
    conditions = format_conditions(statement.conditions)
    for access, catalog in KMS_ACCESS.items():
        actions = [a for a in catalog if statement.covers_action(a)]
        if not actions:
            continue
        # In a key policy, Resource "*" means this key.
        if not in_key_policy and not covers_resource(statement, key.key.arn):
            continue
        grants.append(
            Grant(
                principal,
                key.address,
                access,
                statement.effect,
                KEY_SCOPE,
                tuple(actions),
                statement.label,
                conditions,
                condition_keys=frozenset(condition_keys(statement.conditions)),
            )
        )
    return grants


def build_matrix(assembly: CloudAssembly, resolver: Resolver, keys: KeyCatalog) -> AccessMatrix:
    collector = _Collector(assembly, resolver)
    buckets = []
    for resource in assembly.resources_of_type("AWS::S3::Bucket"):
        use = bucket_key(resolver, keys, resource)
        buckets.append(
            BucketTarget(
                resource,
                resolver.arn_of(resource),
                use.key,
                agreed_prefixes(resource.stack, resource.name),
            )
        )
    key_targets = [KeyTarget(key) for key in keys.keys.values()]
    policies = resource_policies(assembly, resolver)
    bucket_policies = {
        b.address: [s for p in policies if p.target.address == b.address for s in p.statements]
        for b in buckets
    }
    key_policies = {
        k.address: [s for p in policies if p.target.address == k.address for s in p.statements]
        for k in key_targets
    }

    # Principals: IAM identities of the assembly, then everyone the resource policies name.
    principals: list[Principal] = sorted(collector.identity)
    for policy in policies:
        if policy.target.type not in ("AWS::S3::Bucket", "AWS::KMS::Key"):
            continue
        for statement in policy.statements:
            for kind, values in (
                statement.principals.entries.items() if statement.principals else ()
            ):
                for value in values:
                    principal = classify_principal(
                        kind, value, policy.target.stack, resolver, collector
                    )
                    if principal not in principals:
                        principals.append(principal)

    grants: list[Grant] = []
    for principal in principals:
        identity = collector.identity.get(principal, [])
        for bucket in buckets:
            stack = bucket.resource.stack
            for statement in identity:
                grants.extend(_bucket_grants(principal, statement, bucket))
            for statement in bucket_policies[bucket.address]:
                if _principal_matches(statement, principal, stack, resolver, collector):
                    grants.extend(_bucket_grants(_named(statement, principal), statement, bucket))
        for key in key_targets:
            stack = key.key.resource.stack
            key_policy = key_policies[key.address]
            for statement in key_policy:
                if _principal_matches(statement, principal, stack, resolver, collector):
                    grants.extend(
                        _key_grants(
                            _named(statement, principal), statement, key, in_key_policy=True
                        )
                    )
            delegations = [s for s in key_policy if s.allows() and _delegates(s, stack, resolver)]
            for statement in identity:
                for grant in _key_grants(principal, statement, key, in_key_policy=False):
                    grants.append(_through_delegation(grant, delegations))

    allows, denies = _apply_denies(list(dict.fromkeys(grants)))
    granted = {grant.principal for grant in allows}
    matrix = AccessMatrix(
        buckets=buckets,
        keys=key_targets,
        principals=[p for p in principals if p.is_iam_identity or p in granted],
        assumed_by=collector.assumed_by,
        grants=allows,
        denies=denies,
        flags=[],
        managed_policies=collector.managed,
    )
    matrix.flags = _flags(matrix, collector)
    return matrix


def _named(statement: Statement, principal: Principal) -> Principal:
    """Who a resource-policy grant is recorded for: one naming "*" is recorded once, for all."""
    if statement.principals and statement.principals.everyone and not statement.not_principal:
        return EVERYONE
    return principal


def _through_delegation(grant: Grant, delegations: list[Statement]) -> Grant:
    """An identity-policy grant on a key counts only where the key policy delegates the action."""
    if grant.effect == "Deny":
        return grant
    delegating = [d for d in delegations if all(d.covers_action(a) for a in grant.actions)]
    if not delegating:
        return replace(grant, effective=False, note=NOT_DELEGATED)
    extra = "; ".join(sorted(filter(None, {format_conditions(d.conditions) for d in delegating})))
    keys_of: frozenset[str] = frozenset().union(*(condition_keys(d.conditions) for d in delegating))
    return replace(
        grant,
        conditions="; ".join(filter(None, (grant.conditions, extra))),
        via=f"{grant.via}{DELEGATION}",
        condition_keys=grant.condition_keys | keys_of,
    )


def _apply_denies(grants: list[Grant]) -> tuple[list[Grant], list[Grant]]:
    """Allows (unconditionally denied ones made ineffective) and the conditional denies."""
    denies = [g for g in grants if g.effect == "Deny"]
    hard = [d for d in denies if not d.conditions]
    allows = []
    for grant in (g for g in grants if g.effect == "Allow"):
        blocked = [
            d
            for d in hard
            if d.principal in (grant.principal, EVERYONE)
            and d.target == grant.target
            and d.access == grant.access
            and set(grant.actions) <= set(d.actions)
            and (d.scope == grant.scope or (d.scope == "*" and grant.scope != BUCKET_SCOPE))
        ]
        if blocked and grant.effective:
            grant = replace(grant, effective=False, note=f"denied by {blocked[0].via}")
        allows.append(grant)
    return allows, [d for d in denies if d.conditions]


# --- flags --------------------------------------------------------------------------------------
def _statement_flags(
    grant: Grant, statement: Statement, target: BucketTarget | KeyTarget
) -> Iterator[AccessFlag]:
    """What is too broad in the identity statement behind an effective grant."""
    what = f"{'student-data ' if target.holds_student_data else ''}{target.label}"
    wild = [
        pattern
        for pattern in statement.actions
        if has_wildcard(pattern) and any(action_matches(pattern, a) for a in grant.actions)
    ]
    if wild and not statement.not_action:
        broad = any(p == "*" or p.endswith(":*") for p in wild)
        yield AccessFlag(
            "high" if broad else "medium",
            "wildcard action",
            grant.principal,
            grant.target,
            f"{', '.join(wild)} grants {grant.access} on {what} ({statement.label})",
        )
    if statement.not_action or statement.not_resource:
        yield AccessFlag(
            "medium",
            "NotAction/NotResource allow",
            grant.principal,
            grant.target,
            f"{statement.label} allows by exclusion",
        )
    # A pattern that also matches a made-up resource of the same kind is "*"-like.
    arn = target.arn if isinstance(target, BucketTarget) else target.key.arn
    probe = _unrelated_arn(arn)
    broad_resources = [
        p
        for p in statement.resources
        if resource_matches(p, probe) or resource_matches(p, f"{probe}/{_PROBE_KEY}")
    ]
    if broad_resources and not statement.not_resource:
        yield AccessFlag(
            "high",
            "'*' resource on data",
            grant.principal,
            grant.target,
            f"{', '.join(broad_resources)} reaches {what} and any other alike ({statement.label})",
        )


def _grant_flags(grant: Grant, target: BucketTarget | KeyTarget) -> Iterator[AccessFlag]:
    """What is wrong with an effective grant itself, whatever statement gave it."""
    identity = grant.principal.is_iam_identity
    if isinstance(target, BucketTarget) and identity:
        prefixes = target.agreed_prefixes
        if (
            prefixes is not None
            and grant.scope != BUCKET_SCOPE
            and not within(grant.scope, prefixes)
        ):
            yield AccessFlag(
                "high" if target.holds_student_data else "medium",
                "outside agreed prefixes",
                grant.principal,
                grant.target,
                f"{grant.access} on {target.label}/{grant.scope} "
                f"(agreed: {', '.join(prefixes)}) via {grant.via}",
            )
        if grant.access == "administer":
            yield AccessFlag(
                "medium",
                "bucket administration",
                grant.principal,
                grant.target,
                f"{', '.join(grant.actions)} on {target.label} via {grant.via}",
            )
    unrestricted = not grant.condition_keys & RESTRICTING_CONDITION_KEYS
    public = grant.principal.kind == "everyone" and unrestricted
    if (public or grant.principal.kind == "external") and grant.access != "list":
        yield AccessFlag(
            "high",
            "public or cross-account access",
            grant.principal,
            grant.target,
            f"{grant.access} on {target.label} via {grant.via}",
        )


def _flags(matrix: AccessMatrix, collector: _Collector) -> list[AccessFlag]:
    flags: dict[AccessFlag, None] = {}  # ordered, without duplicates
    targets: dict[str, BucketTarget | KeyTarget] = {b.address: b for b in matrix.buckets}
    targets.update({k.address: k for k in matrix.keys})
    statements: dict[tuple[Principal, str], list[Statement]] = {}
    for principal, owned in collector.identity.items():
        for statement in owned:
            statements.setdefault((principal, statement.label), []).append(statement)

    for grant in (g for g in matrix.grants if g.effective):
        target = targets[grant.target]
        via = grant.via.removesuffix(DELEGATION)
        for statement in statements.get((grant.principal, via), []):
            flags.update(dict.fromkeys(_statement_flags(grant, statement, target)))
        flags.update(dict.fromkeys(_grant_flags(grant, target)))
    for key in matrix.keys:
        for principal in matrix.principals:
            accesses = {g.access for g in matrix.cell(principal, key.address)}
            # The account's own delegation (key policy to IAM) is by design, not a person.
            if principal.kind != "account" and {"administer", "decrypt"} <= accesses:
                flag = AccessFlag(
                    "high",
                    "administer and decrypt",
                    principal,
                    key.address,
                    f"can both administer and decrypt with {key.label}",
                )
                flags[flag] = None
    for principal, arns in matrix.managed_policies.items():
        for arn in arns:
            flag = AccessFlag(
                "medium",
                "policy not in the templates",
                principal,
                None,
                f"{arn}: its permissions are not evaluated here",
            )
            flags[flag] = None
    for grant in matrix.grants:
        if not grant.effective and grant.note == NOT_DELEGATED:
            flag = AccessFlag(
                "low",
                "ineffective key grant",
                grant.principal,
                grant.target,
                f"{', '.join(grant.actions)} via {grant.via}: {grant.note}",
            )
            flags[flag] = None
    return list(flags)
