"""Serving: endpoints for approved models, safe rollouts, batch scoring, approval notices.

``build_serving_stacks`` (wiring.py) adds two stacks to a stage:

* ``MlPlatform-<stage>-Approvals``, always: tells on-call, with the exact deploy command, when a
  model version of the platform's group is approved;
* ``MlPlatform-<stage>-Serving``, when a model package ARN is given
  (``-c model_package_arn=...``): the model, its endpoint (serverless or provisioned with
  autoscaling and blue/green rollouts that roll back on alarms) and the batch-scoring model.
"""
