"""The training pipeline: SageMaker Pipeline definition, its source dir, roles and stack."""
