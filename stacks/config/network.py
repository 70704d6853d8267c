"""Settings of the network stack: whether a stage runs its workloads inside a private VPC.

The VPC has isolated subnets only (no NAT gateway, no internet gateway), so every AWS API the
workloads call from inside it needs a VPC endpoint. The list below is derived from the code
that runs in the VPC, not from a wish list; each entry names its callers. Services reached by
AWS on the workloads' behalf (image pulls, container and function logs, volume encryption,
the SQS poller of the Lambda event source) do not travel through the VPC and need none.

Cost (us-east-1, https://aws.amazon.com/privatelink/pricing/): an interface endpoint costs
$0.01 per hour per AZ = $7.30 per month per AZ (730 hours), plus $0.01 per GB processed;
gateway endpoints (S3, DynamoDB) are free. The idle cost of a stage's network is therefore
``len(INTERFACE_ENDPOINTS) * max_azs * 7.30`` dollars a month (see ``monthly_idle_cost_usd``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .parsing import SettingError

# $0.01/hour per AZ (us-east-1, PrivateLink pricing page) x 730 hours a month.
INTERFACE_ENDPOINT_MONTHLY_USD_PER_AZ = 7.30
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

    @property
    def monthly_idle_cost_usd(self) -> float:
        """What the network costs a month with no traffic (interface endpoints x AZs)."""
        if not self.enabled:
            return 0.0
        per_az = sum(endpoint.monthly_usd_per_az for endpoint in INTERFACE_ENDPOINTS)
        return round(per_az * self.max_azs, 2)
