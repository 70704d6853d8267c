"""The infrastructure matches lambdas/validator: variables, calls, metrics, Powertools version.

These tests read the function's code (its source, and its settings parser) so that a change on
either side that the other does not follow fails here, not on the first upload after deploy.
"""

from __future__ import annotations

import ast
from importlib.metadata import version
from pathlib import Path

from stacks.constructs.lambda_code import LAMBDAS_DIR
from stacks.ingestion.ingestion_stack import HANDLER, METRIC_NAMES
from stacks.ingestion.powertools import POWERTOOLS_VERSION
from tests.infra.helpers import as_list

from .helpers import policy_statements, resource, stage_config

PACKAGE = LAMBDAS_DIR / "validator"
MIB = 1024 * 1024

# The IAM actions each AWS SDK call of the validator needs (on the object versions it names).
ACTIONS_OF_CALL = {
    ("s3", "get_object"): {"s3:GetObject", "s3:GetObjectVersion"},
    ("s3", "head_object"): {"s3:GetObject"},
    ("s3", "copy_object"): {"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"},
    ("s3", "put_object"): {"s3:PutObject"},
    ("s3", "delete_object"): {"s3:DeleteObjectVersion"},
    ("sagemaker", "start_pipeline_execution"): {"sagemaker:StartPipelineExecution"},
    ("sns", "publish"): {"sns:Publish"},
}


def _tree(module: str) -> ast.Module:
    return ast.parse((PACKAGE / module).read_text(encoding="utf-8"))


def _client_calls() -> set[tuple[str, str]]:
    """(client, method) for every ``<client>.<method>(...)`` on an AWS client in the package."""
    calls = set()
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                name = owner.id if isinstance(owner, ast.Name) else None
                if name in {"s3", "sagemaker", "sns", "dynamodb", "sqs", "cloudwatch"}:
                    calls.add((name, node.func.attr))
    return calls


def _environment_names_read() -> dict[str, bool]:
    """Variable -> required, from the ``read.text/prefix/positive_int("NAME", ...)`` calls."""
    names = {}
    for node in ast.walk(_tree("settings.py")):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "read"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names[node.args[0].value] = node.func.attr == "text"
    assert names, "settings.py reads its variables through read.<kind>('NAME')"
    return names


def test_every_call_the_code_makes_is_allowed_by_the_role(dev):
    calls = _client_calls()
    assert calls, "the package calls AWS through s3/sagemaker/sns clients"
    unmapped = calls - set(ACTIONS_OF_CALL)
    assert not unmapped, f"map the IAM actions of these new calls: {sorted(unmapped)}"
    granted = {
        action
        for statement in policy_statements(dev).values()
        for action in as_list(statement["Action"])
    }
    needed = set().union(*(ACTIONS_OF_CALL[call] for call in calls))
    assert needed <= granted, needed - granted


def test_every_variable_the_code_requires_is_set_and_nothing_unknown_is(stage):
    variables = resource(stage, stage.platform.ingestion.function)["Properties"]["Environment"][
        "Variables"
    ]
    read = _environment_names_read()
    required = {name for name, is_required in read.items() if is_required}
    assert required <= set(variables), required - set(variables)
    # Anything else set must be read by the code or by Powertools itself.
    unknown = {n for n in variables if n not in read and not n.startswith("POWERTOOLS_")}
    assert not unknown, unknown


def test_the_code_accepts_the_environment_the_stack_gives_it(stage):
    from validator.settings import Settings

    variables = resource(stage, stage.platform.ingestion.function)["Properties"]["Environment"][
        "Variables"
    ]
    # Deploy-time references become strings like these at run time.
    environ = {
        name: value if isinstance(value, str) else f"arn:aws:resolved:{name.lower()}"
        for name, value in variables.items()
    }
    settings = Settings.from_environment(environ)
    config = stage_config(stage.name).ingestion
    assert settings.limits.max_bytes == config.max_file_mb * MIB
    assert (settings.limits.min_rows, settings.limits.max_rows) == (
        config.min_rows,
        config.max_rows,
    )
    assert settings.idempotency_ttl_seconds == 14 * 86400


def test_the_metrics_offered_to_monitoring_are_the_ones_the_handler_publishes():
    published = {"ColdStart"}  # log_metrics(capture_cold_start_metric=True)
    for node in ast.walk(_tree("handler.py")):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_metric":
            (name,) = [k.value for k in node.keywords if k.arg == "name"]
            assert isinstance(name, ast.Constant)
            published.add(name.value)
    assert set(METRIC_NAMES) == published


def test_the_configured_handler_exists():
    module, function = HANDLER.rsplit(".", 1)
    path = LAMBDAS_DIR / Path(*module.split(".")).with_suffix(".py")
    functions = {
        node.name
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef)
    }
    assert function in functions


def test_the_pinned_layer_holds_the_powertools_release_the_tests_run():
    assert version("aws-lambda-powertools") == POWERTOOLS_VERSION
