"""CDK stacks of ml-platform; reusable constructs live in ``stacks.constructs``."""
