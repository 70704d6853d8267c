"""The one error a bad stage configuration raises."""


class ConfigError(ValueError):
    """A stage setting is missing, unknown, of the wrong type or impossible.

    The message always names the stage and the full key, e.g.
    ``stage 'prod': data.noncurrent_version_expiration_days: must be >= 1, got 0``.
    """
