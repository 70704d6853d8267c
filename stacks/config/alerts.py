"""Who is told when something needs attention."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .parsing import SettingError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class AlertsConfig:
    # Email addresses subscribed to the alerts topic (each must confirm the subscription).
    emails: tuple[str, ...] = ()

    def check(self) -> None:
        for position, email in enumerate(self.emails):
            if not _EMAIL.match(email):
                raise SettingError(
                    f"emails[{position}]", f"must be an email address, got {email!r}"
                )
