#!/usr/bin/env python3
"""Composition root: read the stage config, build the stacks, register the compliance gate."""

from __future__ import annotations

import sys
from pathlib import Path

import aws_cdk as cdk

from stacks.compliance import write_acknowledgment_register
from stacks.config import ConfigError, load_stage_config
from stacks.platform import build_platform

ACKNOWLEDGMENT_REGISTER = "acknowledgment-register.json"


def main() -> None:
    app = cdk.App()
    try:
        config = load_stage_config(app.node)
        build_platform(app, config)
    except ConfigError as error:
        # One line naming the stage and the key, not a traceback.
        sys.exit(f"ml-platform config error: {error}")
    assembly = app.synth()
    # Beside the templates, for auditors: every accepted finding with its reason.
    write_acknowledgment_register(app, Path(assembly.directory) / ACKNOWLEDGMENT_REGISTER)


if __name__ == "__main__":
    main()
