"""Dependencies in the handover package point downwards (scripts/import_graph.py, docs/architecture.md)."""

from __future__ import annotations

import import_graph


def test_no_layer_imports_one_above_it() -> None:
    assert import_graph.upwards(import_graph.build()) == []


def test_an_upward_import_is_caught() -> None:
    graph = {
        "handover.core.clock": {"handover.services.queue"},
        "handover.store.repo": {"handover.core.lifecycle", "handover.ws.agent"},
        "handover.services.queue": {"handover.store.repo", "handover.api.deps"},
        "handover.api.deps": {"handover.services.agents"},
    }
    assert import_graph.upwards(graph) == [
        ("handover.core.clock", "handover.services.queue"),
        ("handover.services.queue", "handover.api.deps"),
        ("handover.store.repo", "handover.ws.agent"),
    ]


def test_imports_are_resolved_to_the_module_that_holds_the_name() -> None:
    graph = import_graph.build()
    # `from ....services.klantbeeld.links import claim_by_link`, four dots up from a package module
    assert "handover.services.klantbeeld.links" in graph["handover.api.routes.mijn.links"]
    # `from . import agents as agent_admin` names a module, not an attribute of the package
    assert "handover.services.agents" in graph["handover.services.routing"]
    assert "handover.services" not in graph["handover.services.routing"]


def test_cycles_are_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_graph.cycles(graph) == [["a", "b", "c"]]
