"""The drift job's metric names, read from ``training_scripts/drift_metrics.py`` (one source).

``training_scripts/`` is not a package of the CDK app (its modules import each other as
top-level modules), so the file is loaded by path; it is standard-library only by contract.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]
DRIFT_METRICS_FILE = REPO_ROOT / "training_scripts" / "drift_metrics.py"


@cache
def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("_ml_platform_drift_metrics", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class DriftMetricNames:
    endpoint_dimension: str
    feature_dimension: str
    records_compared: str
    unreadable_captures: str
    out_of_contract_share: str
    max_feature_psi: str
    feature_psi: str
    prediction_psi: str

    @classmethod
    def load(cls, path: Path = DRIFT_METRICS_FILE) -> DriftMetricNames:
        module = _module(path)
        return cls(
            endpoint_dimension=module.ENDPOINT_DIMENSION,
            feature_dimension=module.FEATURE_DIMENSION,
            records_compared=module.RECORDS_COMPARED,
            unreadable_captures=module.UNREADABLE_CAPTURES,
            out_of_contract_share=module.OUT_OF_CONTRACT_SHARE,
            max_feature_psi=module.MAX_FEATURE_PSI,
            feature_psi=module.FEATURE_PSI,
            prediction_psi=module.PREDICTION_PSI,
        )
