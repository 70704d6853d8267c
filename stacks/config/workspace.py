"""Settings of the data-science workspace: an optional SageMaker Studio domain inside the VPC.

The domain is VPC-only: its JupyterLab apps run in the network's isolated subnets and reach
AWS only through the network's endpoints, so student data pulled into a notebook never
crosses the public internet. Data scientists open it in the browser with a presigned URL;
the browser talks to the Studio web service, not to the VPC.

VPC endpoints. The workspace adds none: what a notebook does here (read curated data with
boto3/pandas, explore and train inside the kernel) is served by what the network already has.
Checked against "Connect Amazon SageMaker Studio in a VPC to External Resources" (SageMaker
developer guide, the updated-Studio page), which lists, for VPC-only domains without internet:

* ``sagemaker.api``: the JupyterLab app's own calls (spaces, apps). Present in the network.
* ``s3``: reading curated data. The network's gateway endpoint (free) serves it.
* ``sagemaker.runtime``: "required to run endpoint invocations". Left out: the execution role
  has no ``sagemaker:InvokeEndpoint``, so the endpoint would carry nothing.
* ``servicecatalog``: SageMaker Projects only. Left out: the platform does not use Projects.
* ``aws.sagemaker.<region>.studio``: reaching the Studio UI from inside a VPC (on-premises
  browsers over VPN). Left out: users open Studio from their browsers with a presigned URL.
* ``sts`` and ``logs``: only for the SageMaker Python SDK's remote training jobs. Left out:
  the execution role cannot start jobs; the kernel takes its credentials from the container.

Cost (us-east-1). A domain with no running app costs only its home EFS storage, billed per
GB stored (no fixed monthly charge): ``monthly_idle_cost_usd`` is therefore 0. A running
JupyterLab app is billed per instance-hour until idle shutdown stops it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .parsing import SettingError

# AWS::SageMaker::Domain IdleSettings.IdleTimeoutInMinutes: Minimum 60, Maximum 525600
# (CloudFormation template reference and the SageMaker API reference, IdleSettings).
MIN_IDLE_MINUTES = 60
MAX_IDLE_MINUTES = 525_600
# UserProfileName in the SageMaker API reference: maximum length 63 and this pattern.
USER_PROFILE_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


@dataclass(frozen=True)
class WorkspaceConfig:
    # Off: no Studio domain (dev). On: a VPC-only domain in the network's subnets.
    enabled: bool = False
    # JupyterLab apps idle this long are shut down; users may shorten it, never lengthen it.
    idle_shutdown_minutes: int = 60
    # One Studio user profile per name; access still needs sagemaker:CreatePresignedDomainUrl.
    user_profiles: tuple[str, ...] = ()

    def check(self) -> None:
        if not MIN_IDLE_MINUTES <= self.idle_shutdown_minutes <= MAX_IDLE_MINUTES:
            raise SettingError(
                "idle_shutdown_minutes",
                f"must be {MIN_IDLE_MINUTES}..{MAX_IDLE_MINUTES} (SageMaker's idle shutdown "
                f"range), got {self.idle_shutdown_minutes}",
            )
        for index, name in enumerate(self.user_profiles):
            if not USER_PROFILE_NAME.match(name):
                raise SettingError(
                    f"user_profiles[{index}]",
                    f"must match {USER_PROFILE_NAME.pattern} (SageMaker user profile name), "
                    f"got {name!r}",
                )
            if name in self.user_profiles[:index]:
                raise SettingError(f"user_profiles[{index}]", f"duplicate name {name!r}")

    @property
    def monthly_idle_cost_usd(self) -> float:
        """Fixed monthly cost with no app running: none (EFS storage is billed per GB used)."""
        return 0.0
