"""Run the SageMaker Python SDK (v2) offline, hermetically and quietly, inside a CDK synth.

Why SDK v2 (2.257.x) and not v3: v3 installs ~1 GB of dependencies and needs extra environment
tricks to build a definition without an AWS session; v2 builds this pipeline's definition
offline with no credentials and no uploads when every code and output location is an explicit
S3 URI. v2 prints a deprecation notice on import; it is silenced here, not ignored: moving to v3
is a deliberate change of this module only (the definition it emits is the contract).

What "offline" takes, each verified on a machine without network:
- static dummy credentials and an explicit region, so botocore never walks the credential chain
  (instance metadata, SSO, credential_process) nor looks a region up; no profile, no config file;
- the SDK's config handed to the session as a dict with ``TelemetryOptOut`` (no telemetry
  request), and the SDK's config-file locations pointed at an empty file, so no ``config.yaml``
  of the build machine changes the definition (and no file config is schema-checked at import);
- a network guard: any socket connect or DNS lookup while building raises ``OfflineBuildError``,
  even when the SDK would have swallowed the failure (its telemetry does).

The SDK also has import-time side effects on the host process, undone here: it calls
``logging.basicConfig`` and gives its config logger a stdout handler (which would mix log lines
into ``tools/pipeline_definition.py``'s JSON output).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

NO_HOST_DEFAULTS_FILE = Path(__file__).resolve().parent / "sdk_no_host_defaults.yaml"
# Handed to the session directly (validated once by the SDK).
SDK_CONFIG: dict[str, Any] = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}

_ENVIRONMENT = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "SAGEMAKER_USER_CONFIG_OVERRIDE": str(NO_HOST_DEFAULTS_FILE),
    "SAGEMAKER_ADMIN_CONFIG_OVERRIDE": str(NO_HOST_DEFAULTS_FILE),
    "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
}
_REMOVED_ENVIRONMENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


class OfflineBuildError(RuntimeError):
    """The SDK tried to reach the network while building the pipeline definition."""


@contextlib.contextmanager
def _environment() -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in (*_ENVIRONMENT, *_REMOVED_ENVIRONMENT)}
    os.environ.update(_ENVIRONMENT)
    for name in _REMOVED_ENVIRONMENT:
        os.environ.pop(name, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _network_forbidden() -> Iterator[None]:
    attempts: list[str] = []

    def refuse(what: str) -> OfflineBuildError:
        attempts.append(what)
        return OfflineBuildError(f"network access while building the pipeline definition: {what}")

    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        raise refuse(f"connect to {address!r}")

    def connect_ex(self: socket.socket, address: Any) -> int:
        raise refuse(f"connect to {address!r}")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        raise refuse(f"DNS lookup of {host!r}")

    replaced = ((socket.socket, "connect", connect), (socket.socket, "connect_ex", connect_ex),
                (socket, "getaddrinfo", getaddrinfo))  # fmt: skip
    for owner, name, replacement in replaced:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = original_getaddrinfo
    # Raised here too: the SDK catches and logs some failures (telemetry) and carries on.
    if attempts:
        raise OfflineBuildError(
            "the SageMaker SDK tried to reach the network while building the pipeline "
            "definition: " + "; ".join(attempts)
        )


@contextlib.contextmanager
def _quiet_sdk_logging() -> Iterator[None]:
    root = logging.getLogger()
    root_handlers, root_level = list(root.handlers), root.level
    sdk_logger = logging.getLogger("sagemaker")
    sdk_level = sdk_logger.level
    config_logger = logging.getLogger("sagemaker.config")
    config_handlers, config_level = list(config_logger.handlers), config_logger.level
    sdk_logger.setLevel(logging.ERROR)
    config_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.handlers[:] = root_handlers
        root.setLevel(root_level)
        sdk_logger.setLevel(sdk_level)
        config_logger.handlers[:] = config_handlers
        config_logger.setLevel(config_level)


@contextlib.contextmanager
def _config_validated_once() -> Iterator[None]:
    """Skip re-validating SDK_CONFIG on each of the SDK's ~60 config look-ups (~3 s per build).

    The session validates the dict once when it is created; the SDK then re-validates the same
    dict against its JSON schema on every look-up. Only that exact dict is exempted.
    """
    import sagemaker.utils as sdk_utils

    original = getattr(sdk_utils, "validate_sagemaker_config", None)
    if original is None:  # a later SDK release moved it: correct, only slower
        yield
        return

    def validate(config: Any = None) -> None:
        if config is not SDK_CONFIG:
            original(config)

    setattr(sdk_utils, "validate_sagemaker_config", validate)  # noqa: B010  (typed differently)
    try:
        yield
    finally:
        setattr(sdk_utils, "validate_sagemaker_config", original)  # noqa: B010


@contextlib.contextmanager
def offline_sdk() -> Iterator[None]:
    """Everything the SDK v2 needs to build a definition here: no network, no host state."""
    with (
        _environment(),
        warnings.catch_warnings(),
        _quiet_sdk_logging(),
        _network_forbidden(),
    ):
        warnings.simplefilter("ignore")
        import sagemaker  # noqa: F401  (imported here, under the guards, for its side effects)

        with _config_validated_once():
            yield


def pipeline_session(region: str) -> Any:
    """A session that records requests instead of sending them; use inside ``offline_sdk()``."""
    import boto3
    from sagemaker.workflow.pipeline_context import PipelineSession

    boto_session = boto3.Session(
        aws_access_key_id="offline-synth",
        aws_secret_access_key="offline-synth",
        region_name=region,
    )
    # default_bucket is only a fallback the SDK must never need: every location is explicit.
    return PipelineSession(
        boto_session=boto_session,
        sagemaker_config=SDK_CONFIG,
        default_bucket="offline-synth-no-default-bucket",
    )
