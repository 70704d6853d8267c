from .permissions import CuratedData
from .workspace_stack import WorkspaceNetwork, WorkspaceStack

__all__ = ["CuratedData", "WorkspaceNetwork", "WorkspaceStack"]
