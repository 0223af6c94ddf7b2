"""What a verdict rests on that the offline run could only guess: invokes without a realistic
answer, invokes answered with values only AWS knows (derived instead), and stack references
whose outputs were not given. Shown only when there is something to show."""

from __future__ import annotations

from typing import Any

from obsgov.graph import ResourceGraph


def guesses(graph: ResourceGraph) -> dict[str, Any]:
    return {
        "unansweredInvokes": dict(sorted(graph.unanswered_invokes.items())),
        "derivedInvokes": dict(sorted(graph.derived_invokes.items())),
        "unknownStackReferences": sorted(
            name for name, known in graph.stack_references.items() if not known
        ),
    }


def guess_lines(graph: ResourceGraph) -> list[tuple[str, list[str]]]:
    """(heading, items) for every kind of guess the run made."""
    found = guesses(graph)
    sections = []
    if found["unansweredInvokes"]:
        sections.append(
            (
                "Invokes without a realistic answer (what they feed is unknown or empty):",
                [f"{token}  x{n}" for token, n in found["unansweredInvokes"].items()],
            )
        )
    if found["derivedInvokes"]:
        sections.append(
            (
                "Invokes answered with made-up ids or values that only AWS knows:",
                [f"{token}  x{n}" for token, n in found["derivedInvokes"].items()],
            )
        )
    if found["unknownStackReferences"]:
        sections.append(
            (
                "Stack references without --stack-outputs (their outputs are unknown):",
                list(found["unknownStackReferences"]),
            )
        )
    return sections
