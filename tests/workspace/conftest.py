"""A prod variant with user profiles and a longer idle shutdown, synthesized once per session.

cdk.json's prod enables the workspace without users; this variant shows that profiles and the
idle timeout come from the config. It runs the compliance packs, as user profiles are
resources prod does not otherwise have.
"""

from __future__ import annotations

import copy
from functools import cache

import pytest

from tests.conftest import SynthesizedStage

STAFFED_PROFILES = ("alice", "data-team-2")
STAFFED_IDLE_MINUTES = 180


@cache
def _synthesize_staffed(outdir: str) -> SynthesizedStage:
    import aws_cdk as cdk

    from stacks.config import cdk_json_context, parse_stage_config
    from stacks.platform import build_platform

    context = copy.deepcopy(cdk_json_context())
    stages = context["ml-platform:stages"]
    stages["prod"]["workspace"] = {
        "enabled": True,
        "idle_shutdown_minutes": STAFFED_IDLE_MINUTES,
        "user_profiles": list(STAFFED_PROFILES),
    }
    app = cdk.App(outdir=outdir, context={**context, "stage": "prod"})
    platform = build_platform(app, parse_stage_config("prod", stages))
    return SynthesizedStage(name="prod", app=app, platform=platform, assembly=app.synth())


@pytest.fixture(scope="session")
def staffed_prod(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedStage:
    return _synthesize_staffed(str(tmp_path_factory.mktemp("staffed-prod")))
