"""Inventory: every resource of every stack, counted by type."""

from __future__ import annotations

from dataclasses import dataclass

from .assembly import CloudAssembly, Resource


@dataclass(frozen=True)
class InventoryRow:
    stack: str
    type: str
    resources: tuple[Resource, ...]

    @property
    def count(self) -> int:
        return len(self.resources)


def inventory(assembly: CloudAssembly) -> list[InventoryRow]:
    """One row per (stack, resource type), stacks in deployment order, types sorted."""
    rows = []
    for stack in assembly.stacks.values():
        by_type: dict[str, list[Resource]] = {}
        for resource in stack.resources.values():
            by_type.setdefault(resource.type, []).append(resource)
        for resource_type in sorted(by_type):
            rows.append(InventoryRow(stack.name, resource_type, tuple(by_type[resource_type])))
    return rows
