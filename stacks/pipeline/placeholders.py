"""Stand-ins for CDK tokens while the SageMaker SDK builds the definition, swapped back after.

The SDK parses what it is given: an ``s3://${Token[...]}/key`` URI makes ``urlparse`` fail, and a
role ARN token (no ``/``) makes it call IAM to resolve a role name. So the builder gets
well-formed placeholders (a bucket name, ``arn:aws:iam::000000000000:role/<name>``, ...), and
the finished JSON string has each placeholder replaced by its token. CDK renders a string with
embedded tokens as ``Fn::Join`` of literal pieces and references, so CloudFormation fills in the
real names and ARNs at deploy time.

Values that are already concrete at synth (not tokens) are used as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from aws_cdk import Token

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# Every placeholder is "placeholder0<name>0": a marker no real AWS name or ARN here contains,
# closed so that no placeholder is the beginning of another ("data" and "data-key").
MARKER = "placeholder0"


def _mark(name: str) -> str:
    return f"{MARKER}{name}0"


class PlaceholderError(ValueError):
    """A placeholder was declared twice, overlaps another, or is missing from the definition."""


class Placeholders:
    """Hands out placeholders for token values, then substitutes the tokens back in."""

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}

    def _register(self, name: str, placeholder: str, value: str) -> str:
        if not Token.is_unresolved(value):
            return value
        if not _NAME.match(name):
            raise PlaceholderError(f"placeholder name {name!r} must be lowercase-with-dashes")
        if placeholder in self._tokens:
            raise PlaceholderError(f"placeholder {name!r} is declared twice")
        self._tokens[placeholder] = value
        return placeholder

    def bucket(self, name: str, bucket_name: str) -> str:
        return self._register(name, _mark(name), bucket_name)

    def role_arn(self, name: str, arn: str) -> str:
        return self._register(name, f"arn:aws:iam::000000000000:role/{_mark(name)}", arn)

    def key_arn(self, name: str, arn: str) -> str:
        return self._register(name, f"arn:aws:kms:us-east-1:000000000000:key/{_mark(name)}", arn)

    def identifier(self, name: str, value: str) -> str:
        """A plain id (subnet, security group): only ever copied, never parsed by the SDK."""
        return self._register(name, _mark(name), value)

    @property
    def tokens(self) -> Mapping[str, str]:
        return dict(self._tokens)

    def substitute(self, definition: str) -> str:
        """``definition`` with every placeholder replaced by its token (each must occur)."""
        return substitute(definition, self._tokens)


def substitute(text: str, replacements: Mapping[str, str]) -> str:
    if not replacements:
        return text
    missing = sorted(placeholder for placeholder in replacements if placeholder not in text)
    if missing:
        raise PlaceholderError(
            "placeholders not found in the definition (the builder ignored these inputs): "
            f"{missing}"
        )
    for placeholder in replacements:
        for other in replacements:
            if placeholder != other and placeholder in other:
                raise PlaceholderError(f"placeholder {placeholder!r} is part of {other!r}")
    pattern = re.compile("|".join(re.escape(placeholder) for placeholder in replacements))
    return pattern.sub(lambda match: replacements[match.group(0)], text)
