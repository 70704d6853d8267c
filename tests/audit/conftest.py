"""The audit of each synthesized stage, computed once per session from the shared synth."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SynthesizedStage
from tools.audit.assembly import ACKNOWLEDGMENT_REGISTER
from tools.audit.report import Audit, run_audit

_AUDITS: dict[str, Audit] = {}


def audit_of(stage: SynthesizedStage) -> Audit:
    """The session's synth writes the acknowledgment register beside the templates, as app.py
    does for the CLI; the audit reads it from there."""
    if stage.name not in _AUDITS:
        assert (Path(stage.directory) / ACKNOWLEDGMENT_REGISTER).exists()
        _AUDITS[stage.name] = run_audit(stage.directory)
    return _AUDITS[stage.name]


@pytest.fixture(scope="session")
def dev_audit(dev: SynthesizedStage) -> Audit:
    return audit_of(dev)


@pytest.fixture(scope="session")
def stage_audit(stage: SynthesizedStage) -> Audit:
    return audit_of(stage)
