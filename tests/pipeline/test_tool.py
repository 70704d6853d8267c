"""tools/pipeline_definition.py prints the deployed definition for review."""

from __future__ import annotations

import json

from tools import pipeline_definition


def test_prints_the_definition_of_the_synthesized_stage(dev, definition, monkeypatch, capsys):
    synthesized = []

    def already_synthesized(stage, outdir):
        synthesized.append(stage)
        return dev.app, dev.platform, dev.assembly

    monkeypatch.setattr(pipeline_definition, "_synthesize", already_synthesized)
    assert pipeline_definition.main(["--stage", "dev"]) == 0
    printed = capsys.readouterr().out
    assert synthesized == ["dev"]
    assert json.loads(printed) == definition
    assert "${MlPlatform-dev-Data/DataKey/Key/Resource.Arn}" in printed


def test_writes_to_a_file_when_asked(dev, definition, monkeypatch, tmp_path):
    monkeypatch.setattr(
        pipeline_definition,
        "_synthesize",
        lambda stage, outdir: (dev.app, dev.platform, dev.assembly),
    )
    output = tmp_path / "definition.json"
    assert pipeline_definition.main(["--stage", "dev", "--output", str(output)]) == 0
    assert json.loads(output.read_text()) == definition


def test_an_unknown_stage_is_a_clear_error(capsys):
    assert pipeline_definition.main(["--stage", "nosuchstage"]) == 2
    assert "stage 'nosuchstage' is not defined" in capsys.readouterr().err
