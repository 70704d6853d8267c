"""The public Powertools for AWS Lambda (Python) layer the validator runs with, pinned.

The layer must hold the same Powertools release the function's tests run against
(aws-lambda-powertools 3.37.0 in the project's virtualenv). Layer versions are numbered per
publication, not per release, so the number is looked up once and pinned here.

Source of ``LAYER_VERSION`` (Powertools' own records, see the report of the commit adding it):
- v3.23.0 is layer 27 (issue aws-powertools/powertools-lambda-python#7689: "Lambda layer exists
  ...AWSLambdaPowertoolsPythonV3-python313-x86_64:27"), and every release after it published
  the next number (Python 3.9 layers stopped at 27 when 3.24.0 dropped 3.9, issue #8434);
- the releases since are 3.24.0, 3.25.0, 3.26.0, 3.27.0, 3.28.0, 3.29.0, 3.30.0, 3.31.0, 3.31.1
  (layer 36), 3.34.0 (layer 37, "current" in the install page of PR #8438), 3.35.0 (38), 3.36.0
  (39), 3.37.0 (40).
Check before a deployment with the SSM parameter Powertools publishes per release:
``aws ssm get-parameter --name /aws/service/powertools/python/arm64/python3.14/3.37.0``.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack

POWERTOOLS_VERSION = "3.37.0"
LAYER_VERSION = 40
# The AWS account that publishes the Powertools layers in every commercial region.
LAYER_ACCOUNT = "017000801446"


def layer_name(python_version: str, architecture: str) -> str:
    """E.g. ``AWSLambdaPowertoolsPythonV3-python314-arm64`` for ("3.14", "arm64")."""
    return f"AWSLambdaPowertoolsPythonV3-python{python_version.replace('.', '')}-{architecture}"


def layer_version_arn(stack: Stack, *, region: str, python_version: str, architecture: str) -> str:
    """The pinned layer version's ARN, in the stack's partition and the given region."""
    return stack.format_arn(
        service="lambda",
        region=region,
        account=LAYER_ACCOUNT,
        resource="layer",
        resource_name=f"{layer_name(python_version, architecture)}:{LAYER_VERSION}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
