"""The domain vocabulary every program and command shares: one definition of each concept.

A task status, a priority, a sprint's day and pace, a team's load and the
automatic assignment of tasks are defined here once, so that the dashboard,
the sprint runner, the leadership meeting and the ``orch`` commands cannot
disagree about them. One concept per module:

- ``vocabulary``: task statuses, priorities (with their order), agent statuses;
- ``sprints``: a sprint's day, its tasks, its progress and velocity;
- ``teams``: a team's definition as a session carries it (``session.teams``);
- ``load``: a team's people and work (``TeamLoad``), one member's (``MemberLoad``);
- ``assignment``: which pending task goes to whom.

Nothing here imports typer or rich, and nothing writes state: the functions
read an ``orchcore.models.Session`` and return values; programs record what
they decide through events.
"""
