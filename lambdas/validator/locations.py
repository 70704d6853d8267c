"""Where a validated or rejected upload goes, and the tokens that make actions idempotent.

Layout (the same under the curated and the quarantine bucket)::

    <prefix><key below the upload prefix>/version=<revision>/data/<file name>
    <prefix><key below the upload prefix>/version=<revision>/report.json

e.g. ``incoming/school-a/2024.csv`` version ``3Lg..`` accepted becomes
``validated/school-a/2024.csv/version=3Lg../data/2024.csv``. Each uploaded version has its own
folder, so nothing is ever overwritten, and the original key and version can be read back from
the path. The data sits in its own ``data/`` folder so that its S3 URI, used as a SageMaker
``S3Prefix`` input, can never also match the report (whatever the uploaded file is named).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from .events import Upload

REPORT_NAME = "report.json"


@dataclass(frozen=True)
class Destination:
    bucket: str
    data_key: str
    report_key: str

    @property
    def data_uri(self) -> str:
        return f"s3://{self.bucket}/{self.data_key}"

    @property
    def report_uri(self) -> str:
        return f"s3://{self.bucket}/{self.report_key}"


def destination_for(upload: Upload, *, upload_prefix: str, bucket: str, prefix: str) -> Destination:
    relative = upload.key.removeprefix(upload_prefix)
    file_name = upload.key.rsplit("/", 1)[-1]
    folder = f"{prefix}{relative}/version={upload.revision}"
    return Destination(
        bucket=bucket,
        data_key=f"{folder}/data/{file_name}",
        report_key=f"{folder}/{REPORT_NAME}",
    )


def pipeline_request_token(upload: Upload) -> str:
    """SageMaker ClientRequestToken (32..128 chars), the same on every retry of one upload."""
    identity = "\n".join((upload.bucket, upload.key, upload.revision))
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def source_metadata(upload: Upload) -> dict[str, str]:
    """S3 user metadata (ASCII only) recording where a copy came from."""
    return {
        "source-bucket": upload.bucket,
        "source-key": quote(upload.key, safe="/"),
        "source-version-id": upload.version_id or "none",
    }
