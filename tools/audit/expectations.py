"""What the platform agreed on, against which the access matrix flags deviations.

Each data bucket's agreed prefixes come from ``stacks/layout.py`` (plain constants, no CDK): a
role reading or writing a bucket outside them, or the whole bucket, is flagged. Buckets are known
by their construct id in the data stack, as synth records it in each resource's path.
"""

from __future__ import annotations

from stacks import layout

AGREED_PREFIXES: dict[str, tuple[str, ...]] = {
    "Raw": (layout.UPLOAD_PREFIX,),
    "Curated": (
        layout.VALIDATED_PREFIX,
        layout.PROCESSED_PREFIX,
        layout.CAPTURE_PREFIX,
        layout.PREDICTIONS_PREFIX,
    ),
    "Quarantine": (layout.QUARANTINE_PREFIX,),
    "Artifacts": (layout.MODELS_PREFIX, layout.EVALUATION_PREFIX),
}
DATA_STACK_SUFFIX = "-Data"


def agreed_prefixes(stack: str, construct_name: str) -> tuple[str, ...] | None:
    """The prefixes agreed for bucket ``construct_name`` of ``stack``; None: not a data bucket."""
    if not stack.endswith(DATA_STACK_SUFFIX):
        return None
    return AGREED_PREFIXES.get(construct_name)


def within(scope: str, prefixes: tuple[str, ...]) -> bool:
    """True when an object-key pattern stays under one of ``prefixes``."""
    return any(scope.startswith(prefix) for prefix in prefixes)
