"""The resident runtime: one warm process per project that Claude Code reaches without spawning anything.

Claude Code starts a process for every command hook, and a Python process
costs tens of milliseconds before it does any work. So orchcore keeps one
process per project (and interpreter, and ``ORCH_*`` settings) with the
plugins, models and store already loaded, and everything reaches it:

* Claude Code's **http hooks** POST each event to it on loopback
  (``orchcore.resident.http``): no process at all per event;
* the **command hooks** that must stay commands (SessionStart, Setup, and the
  events that only an exit code can block) and the **status line** are
  spawned by Claude Code, but hand their input to it over a private Unix
  socket (``orchcore.resident.client``) instead of importing anything;
* ``orch`` **commands** (state queries that programs, slash commands and the
  model run) are forked from a warm copy of it (``orchcore.resident.forkserver``).

Processes: a tiny supervisor (``orchcore.resident.supervisor``) restarts the
server when it dies of anything but a clean exit; the server
(``orchcore.resident.server``) answers requests and, when it starts, catches up
from Claude Code's transcripts whatever it missed while it was down
(``orchcore.recovery``).

Nothing here is ever a reason for Claude Code to fail: a client that cannot
reach the runtime starts one and answers in-process, as without it.
``ORCH_RUNTIME=0`` turns it off.
"""

RESTART = 75  # the exit code by which the server asks its supervisor to start it again on fresh code
