"""Inputs the definition builder refuses before the SDK sees them (no build runs here)."""

from __future__ import annotations

import dataclasses

import pytest

from stacks.pipeline.definition import DefinitionSpec, DefinitionSpecError, JobSpec, NetworkSpec

JOB = JobSpec("arn:aws:iam::000000000000:role/job", "ml.m5.large", 1, 30, 3600, "k", "k")
SPEC = DefinitionSpec(
    region="eu-west-1", sklearn_version="1.4-2", source_tarball_uri="s3://assets/abc.gz",
    processed_uri="s3://curated/processed", models_uri="s3://artifacts/models",
    evaluation_uri="s3://artifacts/evaluation", preprocess=JOB, train=JOB, evaluate=JOB,
    hyperparameters={"seed": "0"}, rmse_threshold=2.5, fairness_gap_threshold=1.0,
    model_package_group_name="group", inference_instance_types=("ml.m5.large",),
    transform_instance_types=("ml.m5.large",), cache_expire_after="P30D",
)  # fmt: skip


def test_a_valid_spec_passes_and_names_its_tarball():
    SPEC.check()
    assert SPEC.source_tarball_name == "abc.gz"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"models_uri": "artifacts/models"}, "models_uri must be an s3://bucket/key URI"),
        ({"input_data_url": "s3://curated"}, "input_data_url must be an s3://bucket/key URI"),
        ({"source_tarball_uri": "s3://assets/code.zip"}, "gzipped tarball"),
        ({"evaluate": dataclasses.replace(JOB, instance_count=2)}, "evaluate: instance_count"),
        ({"train": dataclasses.replace(JOB, max_runtime_seconds=0)}, "train: instance count"),
        ({"hyperparameters": {"sagemaker_program": "x.py"}}, "reserved for the SageMaker"),
        ({"network": NetworkSpec(("subnet-1",), ())}, "at least one subnet and one security"),
    ],
)  # fmt: skip
def test_impossible_specs_are_refused_with_the_reason(change, message):
    with pytest.raises(DefinitionSpecError, match=message):
        dataclasses.replace(SPEC, **change).check()
