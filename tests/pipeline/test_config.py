"""The pipeline section of the stage config: defaults, and one-line errors naming the key."""

from __future__ import annotations

import pytest

from stacks.config.parsing import InvalidValue, parse_section
from stacks.config.pipeline import PipelineConfig


def _parse(raw: dict) -> PipelineConfig:
    return parse_section(PipelineConfig, raw, "pipeline")


def test_an_empty_section_takes_the_documented_defaults():
    config = _parse({})
    assert (config.preprocess.instance_type, config.preprocess.instance_count) == ("ml.m5.large", 1)
    assert config.evaluate.instance_count == 1
    assert config.model_approval_status == "PendingManualApproval"
    assert config.cache_expire_after == "P30D"
    assert (config.quality_gate.max_rmse, config.quality_gate.max_fairness_gap) == (2.5, 1.0)
    assert config.hyperparameters.as_arguments() == {
        "n-estimators": "200", "learning-rate": "0.05", "max-depth": "3", "seed": "0",
    }  # fmt: skip


def test_several_instances_are_accepted_for_preprocessing_and_training():
    config = _parse({"preprocess": {"instance_count": 4}, "train": {"instance_count": 2}})
    assert (config.preprocess.instance_count, config.train.instance_count) == (4, 2)


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        ({"evaluate": {"instance_count": 2}}, "pipeline.evaluate.instance_count", "must be 1"),
        ({"train": {"instance_type": "m5.large"}}, "pipeline.train.instance_type", "ml.m5.large"),
        ({"train": {"instance_count": 0}}, "pipeline.train.instance_count", "must be 1..100"),
        ({"preprocess": {"max_runtime_minutes": 20000}}, "pipeline.preprocess.max_runtime_minutes",
         "7 days"),
        ({"cache_expire_after": "30 days"}, "pipeline.cache_expire_after", "ISO 8601"),
        ({"cache_expire_after": "P"}, "pipeline.cache_expire_after", "ISO 8601"),
        ({"model_approval_status": "Rejected"}, "pipeline.model_approval_status", "one of"),
        ({"quality_gate": {"max_rmse": 0}}, "pipeline.quality_gate.max_rmse", "grade points"),
        ({"hyperparameters": {"learning_rate": 2}}, "pipeline.hyperparameters.learning_rate",
         "(0, 1]"),
        ({"inference_instance_types": []}, "pipeline.inference_instance_types", "at least one"),
        ({"transform_instance_types": ["big"]}, "pipeline.transform_instance_types[0]",
         "instance type"),
        ({"hyperparamters": {}}, "pipeline.hyperparamters", "unknown key"),
    ],
)  # fmt: skip
def test_impossible_settings_are_refused_naming_the_key(raw, path, message):
    with pytest.raises(InvalidValue) as error:
        _parse(raw)
    assert error.value.path == path
    assert message in error.value.message


@pytest.mark.parametrize("duration", ["P30D", "PT12H", "P1DT6H", "P2W", "PT30M"])
def test_cache_expiry_accepts_iso_8601_durations(duration):
    assert _parse({"cache_expire_after": duration}).cache_expire_after == duration
