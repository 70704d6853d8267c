"""Names of the drift figures in CloudWatch: the interface between the drift job and its alarms.

Standard library only and no sibling imports, so the CDK app can load this file on its own.
Every metric has the dimension ``EndpointName``; ``FEATURE_PSI`` also has ``Feature``.
"""

ENDPOINT_DIMENSION = "EndpointName"
FEATURE_DIMENSION = "Feature"

RECORDS_COMPARED = "RecordsCompared"  # captured records read in the window (Count)
UNREADABLE_CAPTURES = "UnreadableCaptures"  # requests or responses that could not be parsed
OUT_OF_CONTRACT_SHARE = "OutOfContractShare"  # records with a field outside the contract / all
MAX_FEATURE_PSI = "MaxFeaturePSI"  # the largest per-feature PSI of the window
FEATURE_PSI = "FeaturePSI"  # per feature (dimension Feature)
PREDICTION_PSI = "PredictionPSI"  # predictions against the baseline's target distribution
