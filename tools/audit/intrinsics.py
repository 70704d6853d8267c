"""Resolve CloudFormation intrinsic functions to text an auditor can match and read.

A reference to a resource becomes a token naming it, ``{{ref:<stack>|<logical id>}}`` or
``{{att:<stack>|<logical id>|<attribute>}}``, inside otherwise literal text: ``Fn::Join`` of a
bucket ARN and ``/incoming/*`` resolves to ``arn:aws:s3:::{{ref:S|Raw1234}}/incoming/*``.
``Fn::ImportValue`` is followed into the producing stack's output, so an ARN imported from another
stack resolves to the same text as in the stack that owns the resource.

Well-known ARN attributes are written out as ARNs (a bucket's ``Arn`` is
``arn:aws:s3:::{{ref:...}}``), so that IAM patterns written either way match the same text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .assembly import CloudAssembly, Resource

TOKEN = re.compile(
    r"\{\{(?P<kind>ref|att):(?P<stack>[^|{}]+)\|(?P<logical>[^|{}]+)(?:\|(?P<attr>[^{}]+))?\}\}"
)
UNRESOLVED = re.compile(r"\{\{unresolved:[^{}]*\}\}")
# Unknown account/region (an environment-agnostic stack): placeholders without ":" or "/", so
# that Fn::Split over an ARN still finds its fields.
ACCOUNT_PLACEHOLDER = "{{account}}"
REGION_PLACEHOLDER = "{{region}}"
_SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]+)\}")
_MAX_DEPTH = 40

# Ref of these types returns the name property when the template sets it literally.
_NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
}


@dataclass(frozen=True)
class Reference:
    """A resource named by a token; ``attribute`` is None for a Ref."""

    stack: str
    logical_id: str
    attribute: str | None = None

    @property
    def address(self) -> str:
        return f"{self.stack}/{self.logical_id}"


def ref_token(stack: str, logical_id: str) -> str:
    return "{{ref:" + f"{stack}|{logical_id}" + "}}"


def att_token(stack: str, logical_id: str, attribute: str) -> str:
    return "{{att:" + f"{stack}|{logical_id}|{attribute}" + "}}"


def unresolved(what: str) -> str:
    return "{{unresolved:" + what.replace("{", "(").replace("}", ")") + "}}"


def references_in(text: str) -> list[Reference]:
    """Every resource token in ``text``, in order."""
    return [
        Reference(match["stack"], match["logical"], match["attr"]) for match in TOKEN.finditer(text)
    ]


def partition_for(region: str | None) -> str:
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class Resolver:
    """Resolves template values of any stack of one assembly."""

    def __init__(self, assembly: CloudAssembly) -> None:
        self.assembly = assembly

    # -- public ---------------------------------------------------------------------------------
    def resolve(self, value: Any, stack: str) -> Any:
        """``value`` with every intrinsic replaced: strings (with tokens), lists and dicts."""
        return self._resolve(value, stack, 0)

    def text(self, value: Any, stack: str) -> str:
        """``value`` resolved to one string (lists joined with commas, objects as JSON)."""
        resolved = self.resolve(value, stack)
        return _as_text(resolved)

    def texts(self, value: Any, stack: str) -> list[str]:
        """``value`` resolved to a list of strings (a single value becomes a one-item list)."""
        resolved = self.resolve(value, stack)
        if resolved is None:
            return []
        items = resolved if isinstance(resolved, list) else [resolved]
        return [_as_text(item) for item in items if item is not None]

    def references(self, value: Any, stack: str) -> list[Reference]:
        """Resources that ``value`` refers to (Ref, GetAtt, Sub, ImportValue followed)."""
        found: list[Reference] = []
        for text in _strings(self.resolve(value, stack)):
            found.extend(references_in(text))
        return found

    def resource_of(self, reference: Reference) -> Resource | None:
        return self.assembly.resource(reference.stack, reference.logical_id)

    def stack_account(self, stack: str) -> str:
        found = self.assembly.stacks.get(stack)
        return (found.account if found else None) or ACCOUNT_PLACEHOLDER

    def stack_region(self, stack: str) -> str:
        found = self.assembly.stacks.get(stack)
        return (found.region if found else None) or REGION_PLACEHOLDER

    def stack_partition(self, stack: str) -> str:
        found = self.assembly.stacks.get(stack)
        return partition_for(found.region if found else None)

    def arn_of(self, resource: Resource) -> str:
        """The text an IAM policy resolves to when it names ``resource``'s ARN."""
        return self._get_att(resource.stack, resource.logical_id, "Arn")

    # -- intrinsics -----------------------------------------------------------------------------
    def _resolve(self, value: Any, stack: str, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return unresolved("too deep")
        if isinstance(value, list):
            items = [self._resolve(item, stack, depth + 1) for item in value]
            return [item for item in items if item is not None]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            handler = _INTRINSICS.get(name)
            if handler is not None:
                return handler(self, argument, stack, depth + 1)
        return {key: self._resolve(item, stack, depth + 1) for key, item in value.items()}

    def _ref(self, name: Any, stack: str, depth: int) -> Any:
        if not isinstance(name, str):
            return unresolved("Ref")
        if name.startswith("AWS::"):
            return self._pseudo(name, stack)
        template_stack = self.assembly.stacks.get(stack)
        if template_stack is None:
            return unresolved(f"Ref {name}")
        if name in template_stack.parameters:
            default = template_stack.parameters[name].get("Default")
            return default if default is not None else unresolved(f"parameter {name}")
        resource = template_stack.resources.get(name)
        if resource is None:
            return unresolved(f"Ref {name}")
        literal_name = resource.properties.get(_NAME_PROPERTIES.get(resource.type, ""))
        if isinstance(literal_name, str):
            return literal_name
        return ref_token(stack, name)

    def _pseudo(self, name: str, stack: str) -> Any:
        if name == "AWS::AccountId":
            return self.stack_account(stack)
        if name == "AWS::Region":
            return self.stack_region(stack)
        if name == "AWS::Partition":
            return self.stack_partition(stack)
        if name == "AWS::URLSuffix":
            return (
                "amazonaws.com.cn" if self.stack_partition(stack) == "aws-cn" else "amazonaws.com"
            )
        if name == "AWS::StackName":
            return stack
        if name == "AWS::NoValue":
            return None
        return unresolved(name)

    def _get_att(self, stack: str, logical_id: str, attribute: str) -> str:
        resource = self.assembly.resource(stack, logical_id)
        if resource is None:
            return unresolved(f"GetAtt {logical_id}.{attribute}")
        ref = ref_token(stack, logical_id)
        partition = self.stack_partition(stack)
        if resource.type == "AWS::S3::Bucket" and attribute == "Arn":
            name = resource.properties.get("BucketName")
            return f"arn:{partition}:s3:::{name if isinstance(name, str) else ref}"
        if resource.type == "AWS::KMS::Key" and attribute == "Arn":
            account, region = self.stack_account(stack), self.stack_region(stack)
            return f"arn:{partition}:kms:{region}:{account}:key/{ref}"
        if resource.type == "AWS::KMS::Key" and attribute == "KeyId":
            return ref
        if resource.type == "AWS::SNS::Topic" and attribute == "TopicArn":
            return ref  # Ref of a topic is its ARN too
        return att_token(stack, logical_id, attribute)

    def _get_att_intrinsic(self, argument: Any, stack: str, depth: int) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            return unresolved("GetAtt")
        logical_id, attribute = argument
        attribute = self._resolve(attribute, stack, depth)
        if not isinstance(logical_id, str) or not isinstance(attribute, str):
            return unresolved("GetAtt")
        return self._get_att(stack, logical_id, attribute)

    def _join(self, argument: Any, stack: str, depth: int) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            return unresolved("Join")
        delimiter, items = argument
        items = self._resolve(items, stack, depth)
        if not isinstance(items, list):
            return unresolved("Join")
        return str(delimiter).join(_as_text(item) for item in items)

    def _sub(self, argument: Any, stack: str, depth: int) -> Any:
        variables: Mapping[str, Any] = {}
        template = argument
        if isinstance(argument, list) and len(argument) == 2:
            template, variables = argument
        if not isinstance(template, str):
            return unresolved("Sub")

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return _as_text(self._resolve(variables[name], stack, depth))
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self._get_att(stack, logical_id, attribute)
            return _as_text(self._ref(name, stack, depth))

        return _SUB_VARIABLE.sub(replace, template).replace("${!", "${")

    def _import_value(self, argument: Any, stack: str, depth: int) -> Any:
        name = self._resolve(argument, stack, depth)
        export = self.assembly.exports.get(name) if isinstance(name, str) else None
        if export is None:
            return unresolved(f"import {name}")
        return self._resolve(export.value, export.stack, depth)

    def _select(self, argument: Any, stack: str, depth: int) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            return unresolved("Select")
        index = self._resolve(argument[0], stack, depth)
        items = self._resolve(argument[1], stack, depth)
        try:
            return items[int(index)]
        except (TypeError, ValueError, IndexError, KeyError):
            return unresolved("Select")

    def _split(self, argument: Any, stack: str, depth: int) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            return unresolved("Split")
        delimiter = self._resolve(argument[0], stack, depth)
        text = self._resolve(argument[1], stack, depth)
        if not isinstance(delimiter, str) or not isinstance(text, str):
            return unresolved("Split")
        return text.split(delimiter)

    def _find_in_map(self, argument: Any, stack: str, depth: int) -> Any:
        template_stack = self.assembly.stacks.get(stack)
        keys = self._resolve(argument, stack, depth)
        try:
            mappings = template_stack.template["Mappings"] if template_stack else {}
            return mappings[keys[0]][keys[1]][keys[2]]
        except (KeyError, TypeError, IndexError):
            return unresolved("FindInMap")

    def _if(self, argument: Any, stack: str, depth: int) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            return unresolved("If")
        outcome = self._condition(argument[0], stack, depth)
        if outcome is None:
            return unresolved(f"If {argument[0]}")
        return self._resolve(argument[1] if outcome else argument[2], stack, depth)

    def _condition(self, name: Any, stack: str, depth: int) -> bool | None:
        template_stack = self.assembly.stacks.get(stack)
        conditions = template_stack.template.get("Conditions", {}) if template_stack else {}
        if not isinstance(name, str) or name not in conditions:
            return None
        return self._evaluate(conditions[name], stack, depth + 1)

    def _evaluate(self, expression: Any, stack: str, depth: int) -> bool | None:
        if depth > _MAX_DEPTH or not isinstance(expression, dict) or len(expression) != 1:
            return None
        ((name, argument),) = expression.items()
        if name == "Condition":
            return self._condition(argument, stack, depth)
        if name == "Fn::Equals":
            left, right = (self._resolve(item, stack, depth) for item in argument)
            if _has_unknowns(left) or _has_unknowns(right):
                return None
            return bool(left == right)
        parts = [self._evaluate(item, stack, depth + 1) for item in argument]
        if None in parts:
            return None
        if name == "Fn::And":
            return all(parts)
        if name == "Fn::Or":
            return any(parts)
        if name == "Fn::Not":
            return not parts[0]
        return None

    def _to_json_string(self, argument: Any, stack: str, depth: int) -> Any:
        return json.dumps(self._resolve(argument, stack, depth), separators=(",", ":"))

    def _passthrough(self, argument: Any, stack: str, depth: int) -> Any:
        return self._resolve(argument, stack, depth)

    def _get_azs(self, argument: Any, stack: str, depth: int) -> Any:
        return unresolved("GetAZs")


_INTRINSICS = {
    "Ref": lambda self, arg, stack, depth: self._ref(arg, stack, depth),
    "Fn::GetAtt": Resolver._get_att_intrinsic,
    "Fn::Join": Resolver._join,
    "Fn::Sub": Resolver._sub,
    "Fn::ImportValue": Resolver._import_value,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::If": Resolver._if,
    "Fn::Base64": Resolver._passthrough,
    "Fn::ToJsonString": Resolver._to_json_string,
    "Fn::GetAZs": Resolver._get_azs,
}


def _has_unknowns(value: Any) -> bool:
    return any("{{" in text for text in _strings(value))


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(_as_text(item) for item in value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)


def iter_strings(value: Any) -> Iterator[str]:
    """Every string inside a resolved value (keys included)."""
    return _strings(value)
