"""The KMS keys of an assembly, and which key a resolved key reference names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .assembly import CloudAssembly, Resource
from .intrinsics import Resolver, references_in

# The key whose alias ends like this encrypts student records (see the data stack's keys).
STUDENT_DATA_ALIAS_SUFFIX = "/data"


class KeyKind(Enum):
    CUSTOMER_MANAGED = "customer-managed key"
    AWS_MANAGED = "AWS managed key"
    AWS_OWNED = "AWS owned key"
    SSE_S3 = "SSE-S3 (S3 managed keys)"
    EXTERNAL = "key outside this assembly"
    NONE = "not encrypted"
    NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class ManagedKey:
    resource: Resource
    arn: str  # resolved ARN text, as identity policies name it
    aliases: tuple[str, ...]

    @property
    def address(self) -> str:
        return self.resource.address

    @property
    def label(self) -> str:
        alias = f" ({', '.join(self.aliases)})" if self.aliases else ""
        return f"{self.resource.address}{alias}"

    @property
    def holds_student_data(self) -> bool:
        return any(alias.endswith(STUDENT_DATA_ALIAS_SUFFIX) for alias in self.aliases)


@dataclass(frozen=True)
class KeyUse:
    """What encrypts one data item: the kind of key and, for the assembly's own keys, which."""

    kind: KeyKind
    key: ManagedKey | None = None
    detail: str = ""

    @property
    def is_customer_managed(self) -> bool:
        return self.kind is KeyKind.CUSTOMER_MANAGED

    @property
    def label(self) -> str:
        if self.key is not None:
            return self.key.label
        return f"{self.kind.value}{f': {self.detail}' if self.detail else ''}"


class KeyCatalog:
    def __init__(self, assembly: CloudAssembly, resolver: Resolver) -> None:
        self._resolver = resolver
        aliases: dict[str, list[str]] = {}
        self._alias_targets: dict[str, str] = {}
        for alias in assembly.resources_of_type("AWS::KMS::Alias"):
            name = resolver.text(alias.properties.get("AliasName"), alias.stack)
            targets = resolver.references(alias.properties.get("TargetKeyId"), alias.stack)
            for target in targets:
                aliases.setdefault(target.address, []).append(name)
                self._alias_targets[alias.address] = target.address
                self._alias_targets[name] = target.address
        self.keys: dict[str, ManagedKey] = {
            key.address: ManagedKey(key, resolver.arn_of(key), tuple(aliases.get(key.address, [])))
            for key in assembly.resources_of_type("AWS::KMS::Key")
        }

    def identify(self, text: str | None) -> KeyUse:
        """The key a resolved KmsKeyId-like value names (key id, key ARN, alias or alias ARN)."""
        if not text:
            return KeyUse(KeyKind.NONE)
        for reference in references_in(text):
            key = self.keys.get(reference.address) or self.keys.get(
                self._alias_targets.get(reference.address, "")
            )
            if key is not None:
                return KeyUse(KeyKind.CUSTOMER_MANAGED, key)
        alias = text.split(":alias/", 1)[-1] if ":alias/" in text else text
        if alias.startswith("alias/aws/"):
            return KeyUse(KeyKind.AWS_MANAGED, detail=alias)
        if alias.startswith("alias/") and alias in self._alias_targets:
            return KeyUse(KeyKind.CUSTOMER_MANAGED, self.keys[self._alias_targets[alias]])
        return KeyUse(KeyKind.EXTERNAL, detail=text)
