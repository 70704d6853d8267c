"""Stage configuration: one typed, validated object per stage, read from cdk.json context.

    stage = load_stage_config(app.node)          # honours `cdk synth -c stage=prod`

Every stack takes what it needs from the returned ``StageConfig``; nothing else reads context.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .parsing import InvalidValue, parse_section
from .stage import StageConfig

STAGES_CONTEXT_KEY = "ml-platform:stages"
STAGE_CONTEXT_KEY = "stage"
DEFAULT_STAGE = "dev"

CDK_JSON = Path(__file__).resolve().parents[2] / "cdk.json"

__all__ = [
    "ConfigError",
    "StageConfig",
    "cdk_json_context",
    "load_stage_config",
    "parse_stage_config",
]


def cdk_json_context(path: Path = CDK_JSON) -> dict[str, Any]:
    """The context of cdk.json, for apps built outside the CDK CLI (tests, tools)."""
    context: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["context"]
    return context


def parse_stage_config(stage: str, stages: Any) -> StageConfig:
    """Parse the settings of ``stage`` from the ``ml-platform:stages`` context object."""
    if not isinstance(stages, dict) or not stages:
        raise ConfigError(f"context key {STAGES_CONTEXT_KEY!r} must be an object of stages")
    if stage not in stages:
        raise ConfigError(
            f"stage {stage!r} is not defined in cdk.json context {STAGES_CONTEXT_KEY!r} "
            f"(defined: {', '.join(sorted(stages))})"
        )
    raw = stages[stage]
    if isinstance(raw, dict) and "name" in raw:
        raise ConfigError(f"stage {stage!r}: name: set by the stage's key, remove it")
    try:
        return parse_section(
            StageConfig, {**raw, "name": stage} if isinstance(raw, dict) else raw, ""
        )
    except InvalidValue as error:
        raise ConfigError(f"stage {stage!r}: {error.path}: {error.message}") from None


def load_stage_config(node: Any) -> StageConfig:
    """Read the selected stage (``-c stage=...``, default dev) from a construct node's context."""
    stage = node.try_get_context(STAGE_CONTEXT_KEY) or DEFAULT_STAGE
    return parse_stage_config(str(stage), node.try_get_context(STAGES_CONTEXT_KEY))
