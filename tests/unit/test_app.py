"""app.py, as the CDK CLI runs it: a bad stage setting ends synth with one line, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from stacks.config import cdk_json_context
from tests.conftest import REPO_ROOT


def test_a_bad_setting_stops_the_app_with_one_line_naming_stage_and_key(tmp_path):
    # Given cdk.json's context with one impossible prod value, passed the way the CLI passes it
    context = cdk_json_context()
    context["ml-platform:stages"]["prod"]["data"]["noncurrent_version_expiration_days"] = 0
    context["stage"] = "prod"
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)}
    # When the app runs
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    # Then it fails with exactly one line that names the stage and the key
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "ml-platform config error: stage 'prod': data.noncurrent_version_expiration_days: "
        "must be >= 1, got 0"
    ]
