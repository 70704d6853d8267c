"""Print the training pipeline's definition JSON for a stage, as it is deployed, for review.

    python -m tools.pipeline_definition --stage dev [--output definition.json]

Synthesizes the stage (offline, like the tests) and reads the definition back out of the
pipeline stack's template. Values CloudFormation fills in at deploy time (bucket names, key and
role ARNs, the asset bucket) appear as resolved-looking references
``${<construct path>.<attribute>}``, e.g. ``${MlPlatform-dev-Data/DataKey/Key/Resource.Arn}``.
Everything else is literal: what SageMaker will run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _synthesize(stage: str, outdir: str) -> tuple[Any, Any, Any]:
    import aws_cdk as cdk

    from stacks.config import cdk_json_context, parse_stage_config
    from stacks.platform import build_platform

    context = {**cdk_json_context(), "stage": stage}
    app = cdk.App(outdir=outdir, context=context)
    platform = build_platform(app, parse_stage_config(stage, context["ml-platform:stages"]))
    return app, platform, app.synth()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev", help="stage in cdk.json (default: dev)")
    parser.add_argument("--output", type=Path, help="write to this file instead of stdout")
    args = parser.parse_args(argv)
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

    from stacks.config import ConfigError
    from stacks.pipeline.review import assembly_templates, construct_labels, pipeline_definition

    with tempfile.TemporaryDirectory(prefix="pipeline-definition-") as outdir:
        try:
            app, platform, assembly = _synthesize(args.stage, outdir)
        except ConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        definition = pipeline_definition(
            assembly_templates(assembly),
            platform.pipeline.stack_name,
            construct_labels(app),
        )
    text = json.dumps(definition, indent=2, sort_keys=True) + "\n"
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
