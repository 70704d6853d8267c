"""vCPUs of a SageMaker instance type, from its size: CPUUtilization is summed over them.

SageMaker instance types follow EC2's sizes: ``large`` has 2 vCPUs, ``xlarge`` 4 and
``<n>xlarge`` 4 n, across the families the platform can serve on (m, c, r, t, g, p, inf). Only
``medium`` differs by family (2 on burstable t2/t3, 1 on the others).
"""

from __future__ import annotations

import re

_INSTANCE_TYPE = re.compile(r"^ml\.(?P<family>[a-z0-9-]+)\.(?P<size>[a-z0-9]+)$")
_MULTIPLE_XLARGE = re.compile(r"^(?P<factor>\d+)xlarge$")
_FIXED_SIZES = {"large": 2, "xlarge": 4}


def vcpus_of(instance_type: str) -> int:
    match = _INSTANCE_TYPE.match(instance_type)
    if match is None:
        raise ValueError(f"not a SageMaker instance type: {instance_type!r}")
    family, size = match["family"], match["size"]
    if size == "medium":
        return 2 if family in ("t2", "t3") else 1
    if size in _FIXED_SIZES:
        return _FIXED_SIZES[size]
    multiple = _MULTIPLE_XLARGE.match(size)
    if multiple is None:
        raise ValueError(
            f"unknown size {size!r} of {instance_type!r}: cannot scale the CPU threshold"
        )
    return 4 * int(multiple["factor"])
