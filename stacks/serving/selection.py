"""Which approved model version a synth serves: ``-c model_package_arn=...`` or cdk.json.

The context key wins over ``serving.model_package_arn`` in cdk.json, so one deploy command ships
one version without editing a file. The ARN is checked against the stage before anything is
built: a model package lives in one region and account, and the serving roles can read the
artifacts of this platform's model package group only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import StageConfig
from ..config.errors import ConfigError
from ..config.serving import MODEL_PACKAGE_ARN, model_package_arn_problem

MODEL_PACKAGE_ARN_CONTEXT_KEY = "model_package_arn"
_CONFIG_KEY = "serving.model_package_arn"


@dataclass(frozen=True)
class ModelPackage:
    """A versioned model package ARN, split into its parts."""

    arn: str
    partition: str
    region: str
    account: str
    group: str
    version: int

    @classmethod
    def parse(cls, arn: str) -> ModelPackage:
        match = MODEL_PACKAGE_ARN.match(arn)
        if match is None:
            raise ValueError(model_package_arn_problem(arn))
        return cls(
            arn=arn,
            partition=match["partition"],
            region=match["region"],
            account=match["account"],
            group=match["group"],
            version=int(match["version"]),
        )


def _fail(config: StageConfig, source: str, message: str) -> ConfigError:
    return ConfigError(f"stage {config.name!r}: {source}: {message}")


def select_model_package(
    node: Any, config: StageConfig, *, model_package_group_name: str
) -> ModelPackage | None:
    """The model package to serve, from context or cdk.json; None when neither names one."""
    from_context = node.try_get_context(MODEL_PACKAGE_ARN_CONTEXT_KEY)
    if from_context is not None:
        source, arn = f"context {MODEL_PACKAGE_ARN_CONTEXT_KEY}", str(from_context).strip()
    elif config.serving.model_package_arn is not None:
        source, arn = _CONFIG_KEY, config.serving.model_package_arn
    else:
        return None
    problem = model_package_arn_problem(arn)
    if problem:
        raise _fail(config, source, problem)
    package = ModelPackage.parse(arn)
    if package.region != config.region:
        raise _fail(
            config,
            source,
            f"the model package is in region {package.region!r}, the stage deploys to "
            f"{config.region!r}; SageMaker serves a model package only in its own region",
        )
    if config.account is not None and package.account != config.account:
        raise _fail(
            config,
            source,
            f"the model package is in account {package.account}, the stage deploys to "
            f"account {config.account}",
        )
    if package.group != model_package_group_name:
        raise _fail(
            config,
            source,
            f"the model package belongs to group {package.group!r}; this stage serves only "
            f"versions of {model_package_group_name!r}, whose artifacts its roles may read",
        )
    return package
