"""The audit of each synthesized stage, computed once per session from the shared synth."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SynthesizedStage
from tools.audit.assembly import ACKNOWLEDGMENT_REGISTER
from tools.audit.report import Audit, run_audit

_AUDITS: dict[str, Audit] = {}


def audit_of(stage: SynthesizedStage) -> Audit:
    """The session's synth runs in process, not through app.py, so the acknowledgment register
    app.py writes beside the templates is written here the same way, once."""
    if stage.name not in _AUDITS:
        from stacks.compliance import write_acknowledgment_register

        register = Path(stage.directory) / ACKNOWLEDGMENT_REGISTER
        if not register.exists():
            write_acknowledgment_register(stage.app, register)
        _AUDITS[stage.name] = run_audit(stage.directory)
    return _AUDITS[stage.name]


@pytest.fixture(scope="session")
def dev_audit(dev: SynthesizedStage) -> Audit:
    return audit_of(dev)


@pytest.fixture(scope="session")
def stage_audit(stage: SynthesizedStage) -> Audit:
    return audit_of(stage)
