"""The runtime: config, plugins, store and bus for one project, built lazily.

Commands and the hook path ask the runtime for what they need and pay only
for that: reading a session never imports a plugin that only renders status
segments. Tests build one with their own plugin manager or store.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from orchcore.errors import StoreError


class Runtime:
    def __init__(
        self, *, project: Path | None = None, state_dir: Path | None = None, plugins=None, store=None, config=None,
        busy_timeout_s: float | None = None,
    ):
        self._project = project
        self._state_dir = state_dir
        self._busy_timeout_s = busy_timeout_s
        if plugins is not None:
            self.plugins = plugins
        if store is not None:
            self.store = store
        if config is not None:
            self.config = config

    @cached_property
    def project(self) -> Path:
        from orchcore.paths import project_dir

        return self._project or project_dir()

    @cached_property
    def state_dir(self) -> Path:
        from orchcore.paths import state_dir

        return self._state_dir or state_dir(self.project)

    @cached_property
    def config(self):
        from orchcore.config import load_config
        from orchcore.paths import config_file

        return load_config(config_file(self.project))

    @cached_property
    def plugins(self):
        from orchcore.plugins import get_plugin_manager

        return get_plugin_manager(allow=self.config.plugins_allow, deny=self.config.plugins_deny)

    @cached_property
    def store(self):
        return self.open_store(shared=True)

    def open_store(self, shared: bool = False):
        """A store on this project's state: a new connection (for another thread), unless ``shared``.

        A store that only exists in this process (the memory backend) is
        always the shared one.
        """
        if not shared and "store" in self.__dict__ and not self.store.can_reopen():
            return self.store
        name = self.config.store_backend
        backends = self.plugins.collect("orch_store_backends")
        if name not in backends:
            known = ", ".join(sorted(backends)) or "none"
            raise StoreError(f"unknown store backend {name!r} (installed: {known}); check store.backend in the config")
        options = self.store_options()
        if self._busy_timeout_s is not None:
            options["busy_timeout_s"] = self._busy_timeout_s
        store = backends[name].spec.factory(self.state_dir, options)
        store.limits = self.store_limits()
        return store

    def store_options(self) -> dict:
        """What the backend's factory gets: ``store.options``, with ``url`` and ``prefix`` when they are set.

        The prefix defaults to ``orchcore:<project folder name>``: the clones of
        one project on several machines meet under it, other projects do not.
        """
        from orchcore.config_schema import STORE_PREFIX, STORE_URL

        options = dict(self.config.store_options)
        url = STORE_URL.read(self.config) or options.get("url")
        if url:
            options["url"] = url
        options["prefix"] = STORE_PREFIX.read(self.config) or options.get("prefix") or f"orchcore:{self.project.name}"
        return options

    def store_limits(self):
        """The limits every append of this project's store enforces (``limits.*`` in the configuration)."""
        from orchcore.config_schema import EVENT_BUFFER, MAX_STATE_KB
        from orchcore.store.base import StoreLimits

        return StoreLimits(max_state_bytes=MAX_STATE_KB.read(self.config) * 1024,
                           event_buffer=EVENT_BUFFER.read(self.config))

    @cached_property
    def bus(self):
        from orchcore.bus import EventBus

        return EventBus(self.store, self.plugins)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
