"""orch-teams: the default organisation (teams and their agents) as an orchcore plugin.

Registered through the entry point ``teams = "orch_teams.plugin"`` in the
group ``orchcore``. The teams and agents are data (``organisation.toml``),
read and checked only when orchcore asks for them, so importing this module
costs next to nothing.
"""

from __future__ import annotations

from orchcore.api import hookimpl


@hookimpl
def orch_teams():
    """The teams: engineering, qa, product, devops and security (or the project's own)."""
    from orch_teams.organisation import load

    return load().team_specs()


@hookimpl
def orch_agents():
    """Every team's agents, written by ``orch install`` to ``.claude/agents/<name>.md``."""
    from orch_teams.organisation import load

    return load().agent_specs()


def plan_v1_teams(v1):
    """``orch migrate v1``: V1's teams.json as the project's organisation (see ``orch_teams.v1``)."""
    from orch_teams.v1 import plan

    return plan(v1)


@hookimpl
def orch_v1_importers():
    """V1's teams become the project's organisation, written to ``.claude/orch-teams.toml``."""
    from orchcore.api import V1Importer

    return [V1Importer(name="teams", plan=plan_v1_teams,
                       description="V1's teams.json as the project's organisation (.claude/orch-teams.toml)")]
