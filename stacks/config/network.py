"""Settings of the network stack: whether a stage runs its workloads inside a private VPC.

The VPC has isolated subnets only (no NAT gateway, no internet gateway), so every AWS API the
workloads call from inside it needs a VPC endpoint. The list below is derived from the code
that runs in the VPC, not from a wish list; each entry names its callers. Services reached by
AWS on the workloads' behalf (image pulls, container and function logs, volume encryption,
the SQS poller of the Lambda event source) do not travel through the VPC and need none.

Cost (us-east-1, https://aws.amazon.com/privatelink/pricing/): an interface endpoint costs
$0.01 per hour per AZ = $7.30 per month per AZ (730 hours), plus $0.01 per GB processed;
gateway endpoints (S3, DynamoDB) are free; the flow logs' own KMS key costs $1.00 a month
(https://aws.amazon.com/kms/pricing/). The idle cost of a stage's network is therefore
``len(INTERFACE_ENDPOINTS) * max_azs * 7.30 + 1.00`` dollars a month (``monthly_idle_cost_usd``).

With the network on, the student-data buckets deny object reads that do not come through the
VPC's S3 endpoint; the roles named in ``deployment_role_names`` and ``break_glass_role_names``
are the only exceptions (see ``stacks/constructs/data_perimeter.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .parsing import SettingError

# $0.01/hour per AZ (us-east-1, PrivateLink pricing page) x 730 hours a month.
INTERFACE_ENDPOINT_MONTHLY_USD_PER_AZ = 7.30
# One customer-managed key for the flow logs (https://aws.amazon.com/kms/pricing/).
FLOW_LOG_KEY_MONTHLY_USD = 1.00
# An IAM role name (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html),
# optionally ending in "*" for roles whose names end in the account and region (CDK bootstrap).
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}\*?$")
_MIN_AZS = 2  # one AZ outage must not stop the jobs, the endpoint or the validator
_MAX_AZS = 6


@dataclass(frozen=True)
class EndpointNeed:
    """One VPC endpoint the platform needs, and who calls it from inside the VPC."""

    service: str  # the suffix of com.amazonaws.<region>.<service>
    callers: str
    monthly_usd_per_az: float


# Gateway endpoints: free, reached through the subnets' route tables.
GATEWAY_ENDPOINTS: tuple[EndpointNeed, ...] = (
    EndpointNeed(
        "s3",
        "every job's inputs and outputs, model artifacts of the endpoint, the validator's "
        "uploads, the drift job's captures and baseline",
        0.0,
    ),
    EndpointNeed("dynamodb", "the validator's idempotency table", 0.0),
)

# Interface endpoints: billed per AZ. Left out on purpose: sagemaker.runtime (nothing inside
# the VPC invokes the endpoint; callers are outside), STS (workloads get role credentials from
# the Lambda/SageMaker runtime, not from sts:AssumeRole), logs (Lambda and SageMaker ship logs
# themselves), kms (S3, SNS, DynamoDB and SageMaker call KMS server-side), ecr.api/ecr.dkr
# (SageMaker pulls its images outside the job's VPC), sqs (the event source mapping polls the
# queue from the Lambda service), events (nothing in the VPC calls PutEvents).
INTERFACE_ENDPOINTS: tuple[EndpointNeed, ...] = (
    EndpointNeed(
        "sagemaker.api",
        "the validator (StartPipelineExecution) and the drift job (DescribeModelPackage)",
        INTERFACE_ENDPOINT_MONTHLY_USD_PER_AZ,
    ),
    EndpointNeed(
        "sns",
        "the validator (Publish of quarantine notices)",
        INTERFACE_ENDPOINT_MONTHLY_USD_PER_AZ,
    ),
    EndpointNeed(
        "monitoring",
        "the drift job (PutMetricData of the drift figures)",
        INTERFACE_ENDPOINT_MONTHLY_USD_PER_AZ,
    ),
)


@dataclass(frozen=True)
class NetworkConfig:
    # Off: the workloads use AWS-managed networking (dev, no idle cost). On: everything in the VPC.
    enabled: bool = False
    # Availability Zones with one isolated subnet (and one endpoint network interface) each.
    max_azs: int = 2
    # Private address range of the VPC (no peering today; pick one that will not collide).
    cidr: str = "10.40.0.0/16"
    # Roles of this account that may read student data from outside the VPC. Deployment: what
    # deploys and manages the stacks; break-glass: the audited emergency role of the data owner.
    deployment_role_names: tuple[str, ...] = ()
    break_glass_role_names: tuple[str, ...] = ()

    def check(self) -> None:
        if not _MIN_AZS <= self.max_azs <= _MAX_AZS:
            raise SettingError(
                "max_azs", f"must be {_MIN_AZS}..{_MAX_AZS} (high availability), got {self.max_azs}"
            )
        address, _, prefix = self.cidr.partition("/")
        octets = address.split(".")
        if not (
            prefix.isdigit()
            and 16 <= int(prefix) <= 24
            and len(octets) == 4
            and all(octet.isdigit() and int(octet) <= 255 for octet in octets)
        ):
            raise SettingError("cidr", f"must be an IPv4 CIDR from /16 to /24, got {self.cidr!r}")
        for key in ("deployment_role_names", "break_glass_role_names"):
            for index, name in enumerate(getattr(self, key)):
                if not _ROLE_NAME.match(name):
                    raise SettingError(
                        f"{key}[{index}]",
                        "must be an IAM role name (letters, digits, +=,.@_-; up to 64; "
                        f"optionally ending in '*'), got {name!r}",
                    )

    @property
    def exempt_role_names(self) -> tuple[str, ...]:
        """Every role allowed to read student data outside the VPC endpoint, without repeats."""
        return tuple(dict.fromkeys(self.deployment_role_names + self.break_glass_role_names))

    @property
    def monthly_idle_cost_usd(self) -> float:
        """What the network costs a month with no traffic (interface endpoints x AZs)."""
        if not self.enabled:
            return 0.0
        per_az = sum(endpoint.monthly_usd_per_az for endpoint in INTERFACE_ENDPOINTS)
        return round(per_az * self.max_azs + FLOW_LOG_KEY_MONTHLY_USD, 2)
