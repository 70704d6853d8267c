"""The workspace's security group: HTTPS to the endpoints and the S3 route, nothing inbound."""

from __future__ import annotations

from tests.infra.helpers import logical_id, resources_of_type

from .test_workspace_stack import _import, _template

ANY_IPV4 = "0.0.0.0/0"


def test_apps_group_has_no_inbound_and_only_https_out(prod):
    template = _template(prod)
    workspace, network = prod.platform.workspace, prod.platform.network
    group = template["Resources"][logical_id(workspace.security_group)]["Properties"]
    assert "SecurityGroupIngress" not in group
    assert group["SecurityGroupEgress"] == [
        {
            "CidrIp": ANY_IPV4,
            "Description": "HTTPS to the S3 gateway endpoint",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    (egress,) = resources_of_type(template, "AWS::EC2::SecurityGroupEgress").values()
    assert egress["Properties"] == {
        "Description": "HTTPS to the interface endpoints",
        "DestinationSecurityGroupId": _import(prod, network, network.endpoints_group, "GroupId"),
        "FromPort": 443,
        "GroupId": {"Fn::GetAtt": [logical_id(workspace.security_group), "GroupId"]},
        "IpProtocol": "tcp",
        "ToPort": 443,
    }


def test_endpoints_admit_the_apps_on_https_only(prod):
    template = _template(prod)
    workspace, network = prod.platform.workspace, prod.platform.network
    (ingress,) = resources_of_type(template, "AWS::EC2::SecurityGroupIngress").values()
    assert ingress["Properties"] == {
        "Description": "HTTPS from the Studio apps",
        "FromPort": 443,
        "GroupId": _import(prod, network, network.endpoints_group, "GroupId"),
        "IpProtocol": "tcp",
        "SourceSecurityGroupId": {"Fn::GetAtt": [logical_id(workspace.security_group), "GroupId"]},
        "ToPort": 443,
    }


def test_no_way_out_of_the_vpc_is_added(prod):
    # No endpoints, gateways or routes: the network's endpoints serve the workspace
    types = {resource["Type"] for resource in _template(prod)["Resources"].values()}
    assert types == {
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::SecurityGroupEgress",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::IAM::Role",
        "AWS::IAM::ManagedPolicy",
        "AWS::SageMaker::Domain",
    }
