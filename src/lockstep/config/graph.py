"""The entities' reference graph: which entity must be written before which.

A child's lookup needs its parent's id in the target, so every command that runs work
goes over the entities parents first (``dependency_order``). A cycle of references
(``customer.parent -> customer``) is allowed: ``reference_cycles`` lists them, and
``deferred_references`` names the edges that close them, which the order ignores and
relink fills in afterwards. Pure over a validated ``Config``.
"""

from __future__ import annotations

import heapq

from lockstep.config.models import Config


def _graph(config: Config) -> dict[str, list[tuple[str, str]]]:
    """Entity -> its (reference name, entity referred to), by name; unknown targets left out."""
    return {
        name: sorted(
            ((ref_name, ref.entity) for ref_name, ref in entity.references.items()
             if ref.entity in config.entities),
            key=lambda edge: (edge[1], edge[0]),
        )
        for name, entity in sorted(config.entities.items())
    }  # fmt: skip


def deferred_references(config: Config) -> list[tuple[str, str]]:
    """The (entity, reference) pairs that close a cycle, found depth-first in name order:
    ``dependency_order`` ignores them, so a migration fills them in on a second pass."""
    graph = _graph(config)
    state: dict[str, str] = {}  # "open" while on the path, then "done"
    closing: list[tuple[str, str]] = []

    def visit(node: str) -> None:
        state[node] = "open"
        for ref_name, target in graph[node]:
            if state.get(target) == "open":
                closing.append((node, ref_name))
            elif target not in state:
                visit(target)
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node)
    return sorted(closing)


def dependency_order(config: Config) -> list[str]:
    """Every entity, each after the entities it refers to; ties broken by name, and the
    references of ``deferred_references`` ignored."""
    graph = _graph(config)
    deferred = set(deferred_references(config))
    needs: dict[str, set[str]] = {
        node: {target for ref, target in edges if (node, ref) not in deferred}
        for node, edges in graph.items()
    }
    ready = [node for node, parents in needs.items() if not parents]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for child, parents in needs.items():
            if node in parents:
                parents.discard(node)
                if not parents:
                    heapq.heappush(ready, child)
    return order


def reference_cycles(config: Config) -> list[tuple[str, ...]]:
    """Each elementary cycle of references, as entity names starting from the
    alphabetically first (``("customer",)`` for a self-reference), in name order."""
    graph = {node: sorted({t for _, t in edges}) for node, edges in _graph(config).items()}
    cycles: list[tuple[str, ...]] = []

    def walk(start: str, path: list[str]) -> None:
        for target in graph[path[-1]]:
            if target == start:
                cycles.append(tuple(path))
            elif target > start and target not in path:
                walk(start, [*path, target])

    for start in graph:
        walk(start, [start])
    return sorted(cycles)
