"""Build a pipeline definition in a fresh interpreter and report any network attempt.

Run by test_offline_build.py under ``unshare -n`` (no network namespace). Independently of the
builder's own guard, an audit hook records every socket connect and DNS lookup for the whole
life of the process (background threads included): the process exits 3 if there was any.
Prints ``{"definition": ..., "identical": bool}`` on stdout and nothing else.
"""

from __future__ import annotations

import json
import sys

NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname")
attempts: list[str] = []


def _audit(event: str, args: tuple) -> None:
    if event in NETWORK_EVENTS:
        attempts.append(f"{event}{args!r}")


def _spec():  # imported late: the hook must see everything the builder imports
    from stacks.pipeline.definition import DefinitionSpec, JobSpec, NetworkSpec

    role = "arn:aws:iam::000000000000:role/{}"
    key = "arn:aws:kms:eu-west-1:000000000000:key/{}"

    def job(name: str, count: int) -> JobSpec:
        return JobSpec(role.format(name), "ml.m5.xlarge", count, 30, 3600, key.format("data"),
                       key.format("platform"))  # fmt: skip

    return DefinitionSpec(
        region="eu-west-1",
        sklearn_version="1.4-2",
        source_tarball_uri="s3://assets-bucket/0123abcd.gz",
        input_data_url="s3://curated-bucket/validated/",
        processed_uri="s3://curated-bucket/processed",
        models_uri="s3://artifacts-bucket/models",
        evaluation_uri="s3://artifacts-bucket/evaluation",
        preprocess=job("preprocess", 3),
        train=job("train", 2),
        evaluate=job("evaluate", 1),
        hyperparameters={"n-estimators": "10"},
        rmse_threshold=3.0,
        fairness_gap_threshold=1.5,
        model_package_group_name="group",
        inference_instance_types=("ml.m5.large",),
        transform_instance_types=("ml.m5.large",),
        cache_expire_after="PT12H",
        network=NetworkSpec(("subnet-0aaa", "subnet-0bbb"), ("sg-0ccc",)),
    )


def main() -> int:
    sys.addaudithook(_audit)
    from stacks.pipeline.definition import build_definition

    first = build_definition(_spec())
    second = build_definition(_spec())
    if attempts:
        print("network attempts: " + "; ".join(attempts), file=sys.stderr)
        return 3
    json.dump({"definition": json.loads(first.json), "identical": first == second}, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
