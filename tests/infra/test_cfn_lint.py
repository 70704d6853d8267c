"""cfn-lint over every synthesized template of every stage: no errors, no warnings."""

from __future__ import annotations

import json

from cfnlint.api import ManualArgs, lint


def test_templates_pass_cfn_lint(stage):
    problems = []
    for stack_name, template in stage.templates():
        matches = lint(
            json.dumps(template),
            config=ManualArgs(regions=[stage.platform.data.region]),
        )
        # Informational findings (I*) are advice; errors (E*) and warnings (W*) fail.
        problems += [
            f"{stack_name}: {m.rule.id} {m.message} ({'/'.join(map(str, m.path))})"
            for m in matches
            if m.rule.id[0] in "EW"
        ]
    assert problems == []
