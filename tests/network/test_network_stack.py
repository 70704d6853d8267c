"""The network stack of prod: isolated subnets, no way out but the VPC endpoints; none in dev."""

from __future__ import annotations

import json

from stacks.config.network import GATEWAY_ENDPOINTS, INTERFACE_ENDPOINTS
from tests.infra.helpers import logical_id, resources_of_type

from .templates import network_template, render

INTERNET_TYPES = (
    "AWS::EC2::NatGateway",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::EgressOnlyInternetGateway",
    "AWS::EC2::EIP",
    "AWS::EC2::TransitGatewayAttachment",
    "AWS::EC2::VPCPeeringConnection",
)


def _types(stage):
    return {
        resource["Type"]
        for _, template in stage.templates()
        for resource in template["Resources"].values()
    }


def test_dev_has_no_network_stack_and_no_vpc(dev):
    assert dev.platform.network is None
    assert not {"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::VPCEndpoint"} & _types(dev)


def test_prod_has_no_nat_internet_gateway_or_other_way_out(prod):
    assert prod.platform.network in prod.platform.stacks
    assert not set(INTERNET_TYPES) & _types(prod)
    for route in resources_of_type(network_template(prod), "AWS::EC2::Route").values():
        raise AssertionError(f"unexpected route {route}")  # only the endpoints' own routes


def test_one_isolated_subnet_in_each_of_two_distinct_azs(prod):
    template = network_template(prod)
    subnets = resources_of_type(template, "AWS::EC2::Subnet").values()
    settings = prod.platform.network.node.try_get_context("ml-platform:stages")["prod"]["network"]
    assert len(subnets) == settings["max_azs"] >= 2
    zones = [subnet["Properties"]["AvailabilityZone"] for subnet in subnets]
    # Fn::GetAZs at deploy time (no lookup at synth), a different index for each subnet
    assert sorted(zone["Fn::Select"][0] for zone in zones) == list(range(len(zones)))
    assert all("Fn::GetAZs" in zone["Fn::Select"][1] for zone in zones)
    assert all(subnet["Properties"]["MapPublicIpOnLaunch"] is False for subnet in subnets)


def test_exactly_the_endpoints_of_the_config(prod):
    endpoints = resources_of_type(network_template(prod), "AWS::EC2::VPCEndpoint").values()
    by_kind: dict[str, set[str]] = {"Gateway": set(), "Interface": set()}
    for endpoint in endpoints:
        properties = endpoint["Properties"]
        service = properties["ServiceName"]
        name = service if isinstance(service, str) else service["Fn::Join"][1][-1]
        by_kind[properties.get("VpcEndpointType", "Gateway")].add(name.rsplit(".", 1)[-1])
    assert by_kind["Gateway"] == {need.service for need in GATEWAY_ENDPOINTS}
    assert by_kind["Interface"] == {need.service.rsplit(".", 1)[-1] for need in INTERFACE_ENDPOINTS}
    assert len(endpoints) == len(GATEWAY_ENDPOINTS) + len(INTERFACE_ENDPOINTS)


def test_interface_endpoints_sit_in_every_subnet_behind_the_endpoints_group(prod):
    network = prod.platform.network
    template = network_template(prod)
    subnets = [{"Ref": name} for name in resources_of_type(template, "AWS::EC2::Subnet")]
    group = {"Fn::GetAtt": [logical_id(network.endpoints_group), "GroupId"]}
    route_tables = [{"Ref": name} for name in resources_of_type(template, "AWS::EC2::RouteTable")]
    for endpoint in resources_of_type(template, "AWS::EC2::VPCEndpoint").values():
        properties = endpoint["Properties"]
        if properties.get("VpcEndpointType") == "Interface":
            assert sorted(properties["SubnetIds"], key=str) == sorted(subnets, key=str)
            assert properties["SecurityGroupIds"] == [group]
            assert properties["PrivateDnsEnabled"] is True
        else:
            assert sorted(properties["RouteTableIds"], key=str) == sorted(route_tables, key=str)


def test_every_endpoint_policy_admits_only_this_accounts_principals(prod):
    for endpoint in resources_of_type(network_template(prod), "AWS::EC2::VPCEndpoint").values():
        properties = endpoint["Properties"]
        (statement,) = properties["PolicyDocument"]["Statement"]
        conditions = statement["Condition"]["StringEquals"]
        assert statement["Effect"] == "Allow"
        assert conditions["aws:PrincipalAccount"] == {"Ref": "AWS::AccountId"}
        if properties.get("VpcEndpointType") != "Interface":  # S3 and DynamoDB: own data only
            assert conditions["aws:ResourceAccount"] == {"Ref": "AWS::AccountId"}


def test_security_groups_admit_only_workloads_to_endpoints_on_443(prod):
    network = prod.platform.network
    template = network_template(prod)
    workloads, endpoints = logical_id(network.workloads_group), logical_id(network.endpoints_group)
    groups = resources_of_type(template, "AWS::EC2::SecurityGroup")
    assert set(groups) == {workloads, endpoints}  # the VPC's default group is not used
    assert "SecurityGroupIngress" not in groups[workloads]["Properties"]  # nothing comes in
    ingress = [
        rule["Properties"]
        for rule in resources_of_type(template, "AWS::EC2::SecurityGroupIngress").values()
    ]
    assert ingress == [
        {
            "GroupId": {"Fn::GetAtt": [endpoints, "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": [workloads, "GroupId"]},
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "Description": ingress[0]["Description"],
        }
    ]
    egress = [
        rule["Properties"]
        for rule in resources_of_type(template, "AWS::EC2::SecurityGroupEgress").values()
    ]
    inline_egress = groups[workloads]["Properties"].get("SecurityGroupEgress", [])
    for rule in egress + inline_egress:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
    # the endpoints' group sends nothing (CDK's placeholder rule matches no traffic)
    (closed,) = groups[endpoints]["Properties"]["SecurityGroupEgress"]
    assert closed["CidrIp"] == "255.255.255.255/32"


def test_flow_logs_of_all_traffic_go_to_an_encrypted_log_group(prod):
    network = prod.platform.network
    template = network_template(prod)
    (flow_log,) = resources_of_type(template, "AWS::EC2::FlowLog").values()
    properties = flow_log["Properties"]
    assert properties["ResourceType"] == "VPC"
    assert properties["ResourceId"] == {"Ref": logical_id(network.vpc)}  # the whole VPC
    assert properties["TrafficType"] == "ALL"
    assert properties["LogGroupName"] == {"Ref": logical_id(network.flow_log_group)}
    group = template["Resources"][logical_id(network.flow_log_group)]["Properties"]
    key = logical_id(network.flow_log_key)
    assert group["KmsKeyId"] == {"Fn::GetAtt": [key, "Arn"]}  # the network's own key
    # which CloudWatch Logs may use for this one log group only
    (logs_use,) = [
        statement
        for statement in template["Resources"][key]["Properties"]["KeyPolicy"]["Statement"]
        if statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    ]
    context = logs_use["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert render(context).endswith(f":log-group:{group['LogGroupName']}")
    stages = network.node.try_get_context("ml-platform:stages")
    assert group["RetentionInDays"] == stages["prod"]["logs"]["retention_days"]
    assert not resources_of_type(template, "AWS::IAM::Policy"), "no inline policies"


def test_the_network_stack_imports_nothing_so_the_data_stack_can_import_from_it(prod):
    # The data stack's bucket policies name the S3 endpoint: an import the other way round
    # would be a cycle that CDK refuses, or a deployment order that cannot exist.
    assert "Fn::ImportValue" not in json.dumps(network_template(prod))
    stacks = prod.platform.stacks
    assert stacks.index(prod.platform.network) < stacks.index(prod.platform.data)
