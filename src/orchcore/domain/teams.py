"""A team's definition as a session carries it: what a ``session.teams`` event copies from a TeamSpec.

Activating a team (``orch session activate-teams``, ``orch team activate``,
``orch sprint start``, ``orch state import`` …) records the installed
definitions of the teams in the event, so the session keeps its teams as
they were when it started, whatever is installed later. ``team_definitions``
is the one place that says which fields travel: description, lead, members,
the parallel limit and the skills (the reducer adds the name).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["team_definitions"]


def team_definitions(team_specs: Mapping[str, Any], names: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The definitions (TeamSpec by name) of ``names`` (None: all), as ``session.teams`` carries them.

    In the order of ``team_specs``; a name with no definition is left out
    (it is activated as given).
    """
    wanted = None if names is None else set(names)
    return {
        name: {
            "description": spec.description, "lead": spec.lead, "members": list(spec.members),
            "max_parallel": spec.max_parallel, "skills": list(spec.skills),
        }
        for name, spec in team_specs.items() if wanted is None or name in wanted
    }
