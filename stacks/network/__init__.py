from .network_stack import NetworkStack, WorkloadNetwork

__all__ = ["NetworkStack", "WorkloadNetwork"]
