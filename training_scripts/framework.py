"""The SageMaker scikit-learn framework container these scripts run in: pinned in this one place.

Framework version "1.4-2" is the SageMaker scikit-learn container with scikit-learn 1.4.2 on
Python 3.10 (pandas >= 1.5). The scripts only use APIs present in both that version and the
scikit-learn used locally, so the same code trains on a laptop and in SageMaker.
"""

SKLEARN_FRAMEWORK_VERSION = "1.4-2"
PYTHON_VERSION = "py3"
