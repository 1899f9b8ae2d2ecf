"""From V1 to orchcore: ``orch migrate v1`` reads a V1 project and imports it, safe to run again.

* ``source``: V1's files, read (never written) and checked, every error one line with the file and place;
* ``convert``: V1's records in orchcore's models (statuses mapped, every other key kept);
* ``importer``: the plan (what is new, what is there already, what changed in V1 since) and its events;
* plugins import their own parts of V1 through ``orch_v1_importers`` (orch-teams takes V1's teams).
"""
