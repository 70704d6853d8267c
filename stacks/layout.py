"""Where data lives inside the platform's buckets: the prefixes every stack agrees on.

Prefixes end with "/" so that an IAM resource ``arn:...:bucket/<prefix>*`` never matches a
sibling prefix that merely starts with the same letters.
"""

# Raw bucket: uploaders write here; every object created under it is validated.
UPLOAD_PREFIX = "incoming/"

# Curated bucket: files that passed validation (with their reports) ...
VALIDATED_PREFIX = "validated/"
# ... the pipeline's processed splits and baselines ...
PROCESSED_PREFIX = "processed/"
# ... what the endpoint captured (requests and predictions) ...
CAPTURE_PREFIX = "capture/"
# ... and batch predictions.
PREDICTIONS_PREFIX = "predictions/"

# Quarantine bucket: rejected files and their reports.
QUARANTINE_PREFIX = "quarantine/"

# Artifacts bucket: model artifacts and evaluation reports written by the pipeline.
MODELS_PREFIX = "models/"
EVALUATION_PREFIX = "evaluation/"
