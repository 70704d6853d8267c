"""Stages with an endpoint, for the monitoring tests: cdk.json names no model package, so the
shared fixtures (tests/conftest.py) synthesize both stages without serving. These add one.

``served_prod``: provisioned endpoint with data capture, so serving alarms and the drift check.
``served_dev``: serverless endpoint (no capture, so no drift check).
Each is synthesized once per session. ``served_prod`` runs the compliance packs like the shared
fixtures (it holds every resource the monitoring stack can create); ``served_dev`` skips them
to keep the suite fast (its monitoring resources are a subset of prod's: alarms only).
"""

from __future__ import annotations

from functools import cache
from typing import Any
from unittest import mock

import pytest

from tests.conftest import SynthesizedStage

MODEL_PACKAGE_ARN = (
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/ml-platform-{stage}-student-grades/7"
)


@cache
def _synthesize_served(stage: str, outdir: str, *, packs: bool) -> SynthesizedStage:
    import aws_cdk as cdk

    from stacks import platform as platform_module
    from stacks.config import cdk_json_context, parse_stage_config

    context: dict[str, Any] = {
        **cdk_json_context(),
        "stage": stage,
        "model_package_arn": MODEL_PACKAGE_ARN.format(stage=stage),
    }
    app = cdk.App(outdir=outdir, context=context)
    config = parse_stage_config(stage, context["ml-platform:stages"])
    register = platform_module.register_compliance_packs if packs else (lambda _app: None)
    with mock.patch.object(platform_module, "register_compliance_packs", register):
        platform = platform_module.build_platform(app, config)
    return SynthesizedStage(name=stage, app=app, platform=platform, assembly=app.synth())


@pytest.fixture(scope="session")
def served_prod(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedStage:
    # A fixed directory per worker: tests/network reuses this fixture and so this one synth.
    outdir = tmp_path_factory.getbasetemp() / "served-prod"
    return _synthesize_served("prod", str(outdir), packs=True)


@pytest.fixture(scope="session")
def served_dev(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedStage:
    return _synthesize_served("dev", str(tmp_path_factory.mktemp("served-dev")), packs=False)
