"""The one dashboard (every section, absent ones explained), and the compliance and cfn-lint
gates on the stage with every monitoring resource (provisioned endpoint with drift check)."""

from __future__ import annotations

import json

import cdk_nag
import pytest
from cfnlint.api import ManualArgs, lint

from stacks.compliance import compliance_packs
from stacks.monitoring.dashboard import SECTION_TITLES

from .templates import flat, resources, stage_config


def _dashboard(synth) -> tuple[str, dict]:
    template = synth.template(synth.platform.monitoring)
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard")
    body = flat(dashboard["DashboardBody"])
    return dashboard["DashboardName"], json.loads(body)


def _texts(body: dict) -> list[str]:
    return [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]


def _titles(body: dict) -> set[str]:
    return {w["properties"].get("title") for w in body["widgets"] if w["type"] != "text"}


@pytest.mark.parametrize("fixture", ["dev", "prod", "served_prod", "served_dev"])
def test_one_dashboard_with_every_section_in_order(fixture, request):
    synth = request.getfixturevalue(fixture)
    name, body = _dashboard(synth)
    assert name == f"{stage_config(synth.name).resource_prefix}-platform"
    headings = [text.splitlines()[0] for text in _texts(body) if text.startswith("## ")]
    assert headings == [f"## {title}" for title in SECTION_TITLES]
    assert {"Platform health (critical alarms)", "Every alarm"} <= _titles(body)


def test_the_served_stage_shows_every_graph_on_call_needs(served_prod):
    _, body = _dashboard(served_prod)
    assert {
        "Upload volume",
        "Accepted vs quarantined files",
        "Validator",
        "Upload queue",
        "Dead-letter queues (must stay at 0)",
        "Invocations",
        "Errors",
        "Latency percentiles (ms)",
        "Instances (autoscaling)",
        "CPU, memory, disk (% of instance)",
        "Largest feature PSI",
        "Prediction PSI",
        "Out-of-contract share",
        "PSI per feature",
    } <= _titles(body)
    text = json.dumps(body)
    for percentile in ("ModelLatency p50", "ModelLatency p90", "ModelLatency p99"):
        assert percentile in text
    assert "SEARCH(" in text and "FeaturePSI" in text


def test_absent_sections_say_why(dev, served_dev):
    _, body = _dashboard(dev)
    texts = "\n".join(_texts(body))
    assert f"Training pipeline {dev.platform.pipeline.pipeline_name}" in texts
    assert f"{dev.platform.pipeline.pipeline_name} executions" in _titles(body)
    assert "No endpoint in this stage" in texts
    _, body = _dashboard(served_dev)
    texts = "\n".join(_texts(body))
    assert "SageMaker does not capture on serverless endpoints" in texts
    assert "Serverless cold starts" in _titles(body)


@pytest.mark.parametrize("pack", compliance_packs(), ids=lambda pack: pack.read_pack_name)
def test_the_served_stage_passes_each_pack(served_prod, pack: cdk_nag.NagPack):
    report = json.loads((served_prod.directory / "validation-report.json").read_text())
    plugin = {p["pluginName"]: p for p in report["pluginReports"]}.get(pack.read_pack_name, {})
    assert plugin.get("violations", []) == []


def test_the_monitoring_template_passes_cfn_lint(served_prod):
    template = served_prod.template(served_prod.platform.monitoring)
    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1"]))
    assert [f"{m.rule.id} {m.message}" for m in matches if m.rule.id[0] in "EW"] == []
