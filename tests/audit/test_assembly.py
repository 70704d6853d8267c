"""Reading a cloud assembly and resolving intrinsics, on hand-written templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audit.builders import arn, export, imported, join, ref, resource, write_assembly
from tools.audit.assembly import AssemblyError, load_assembly
from tools.audit.intrinsics import Resolver, references_in

PRODUCER, CONSUMER = "App-dev-Data", "App-dev-Jobs"
BUCKET_TOKEN = "{{ref:App-dev-Data|Raw1}}"


def _two_stacks(tmp_path: Path) -> Path:
    data = {
        "Resources": {
            "Raw1": resource("AWS::S3::Bucket", "App-dev-Data/Raw/Resource"),
            "Named1": resource(
                "AWS::S3::Bucket", "App-dev-Data/Named/Resource", BucketName="exact-name"
            ),
            "Key1": resource("AWS::KMS::Key", "App-dev-Data/Key/Resource"),
        },
        "Outputs": {
            "RawArn": export(arn("Raw1"), "App-dev-Data:RawArn"),
            "KeyArn": export(arn("Key1"), "App-dev-Data:KeyArn"),
        },
    }
    jobs = {"Resources": {"Topic1": resource("AWS::SNS::Topic", "App-dev-Jobs/Topic/Resource")}}
    # Listed consumer first: the loader must still order by dependency.
    return write_assembly(
        tmp_path, {CONSUMER: jobs, PRODUCER: data}, dependencies={CONSUMER: [PRODUCER]}
    )


@pytest.fixture
def resolver(tmp_path: Path) -> Resolver:
    return Resolver(load_assembly(_two_stacks(tmp_path)))


def test_stacks_come_in_deployment_order(resolver: Resolver) -> None:
    assert list(resolver.assembly.stacks) == [PRODUCER, CONSUMER]
    assert resolver.assembly.stage == "dev"


def test_ref_and_arn_of_a_bucket_name_the_same_bucket(resolver: Resolver) -> None:
    assert resolver.resolve(ref("Raw1"), PRODUCER) == BUCKET_TOKEN
    assert resolver.resolve(arn("Raw1"), PRODUCER) == f"arn:aws:s3:::{BUCKET_TOKEN}"
    # A literal BucketName is what Ref returns.
    assert resolver.resolve(arn("Named1"), PRODUCER) == "arn:aws:s3:::exact-name"


def test_join_of_a_bucket_arn_and_a_prefix(resolver: Resolver) -> None:
    value = join(arn("Raw1"), "/incoming/*")
    assert resolver.text(value, PRODUCER) == f"arn:aws:s3:::{BUCKET_TOKEN}/incoming/*"


def test_sub_resolves_attributes_pseudo_parameters_and_escapes(resolver: Resolver) -> None:
    value = {"Fn::Sub": "${Raw1.Arn}/x-${AWS::Region}-${AWS::AccountId}-${!Literal}"}
    assert resolver.text(value, PRODUCER) == (
        f"arn:aws:s3:::{BUCKET_TOKEN}/x-us-east-1-{{{{account}}}}-${{Literal}}"
    )


def test_import_value_resolves_to_the_producing_stacks_resource(resolver: Resolver) -> None:
    text = resolver.text(imported("App-dev-Data:KeyArn"), CONSUMER)
    assert text == "arn:aws:kms:us-east-1:{{account}}:key/{{ref:App-dev-Data|Key1}}"
    [reference] = references_in(text)
    assert reference.address == "App-dev-Data/Key1"


def test_an_unknown_import_stays_visibly_unresolved(resolver: Resolver) -> None:
    text = resolver.text(imported("nobody:exports-this"), CONSUMER)
    assert text.startswith("{{unresolved:") and "nobody:exports-this" in text


def test_select_and_split(resolver: Resolver) -> None:
    value = {"Fn::Select": [1, {"Fn::Split": ["/", join("a/", ref("Raw1"), "/c")]}]}
    assert resolver.resolve(value, PRODUCER) == BUCKET_TOKEN


def test_no_value_drops_the_item(resolver: Resolver) -> None:
    assert resolver.resolve(["a", ref("AWS::NoValue"), "b"], PRODUCER) == ["a", "b"]


def test_construct_paths_map_to_resources(resolver: Resolver) -> None:
    found = resolver.assembly.by_construct_path("App-dev-Data/Raw")
    assert found is not None and found.logical_id == "Raw1" and found.name == "Raw"


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(AssemblyError, match="nowhere"):
        load_assembly(tmp_path / "nowhere")


def test_a_manifest_without_stacks_is_refused(tmp_path: Path) -> None:
    write_assembly(tmp_path, {})
    with pytest.raises(AssemblyError, match="lists no CloudFormation stacks"):
        load_assembly(tmp_path)


def test_a_template_without_resources_is_refused(tmp_path: Path) -> None:
    write_assembly(tmp_path, {"S-dev-X": {"Outputs": {}}})
    with pytest.raises(AssemblyError, match="S-dev-X: no Resources"):
        load_assembly(tmp_path)
