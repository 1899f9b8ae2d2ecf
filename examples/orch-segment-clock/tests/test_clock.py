"""The clock segment, tested the way any plugin is: orchcore's fixtures, the plugin registered for one test."""

from __future__ import annotations

from datetime import timedelta

import orch_segment_clock.plugin as plugin
from orchcore.api import SegmentContext, parse_iso

SID = "8e82f7c6-1351-45ff-b6d3-4fb1cc1717ee"


def test_the_segment_shows_the_sessions_age(orch_bus):
    session = orch_bus.create_session(SID)
    now = parse_iso(session.created_at) + timedelta(minutes=75)

    text = plugin.clock(SegmentContext(session=session, status_input={}, color=False), now=now)

    assert text.startswith("⏱ 1h15m · ")


def test_the_status_line_shows_it_once_the_plugin_is_installed(orch_bus, orch_statusline, register_plugin):
    register_plugin(plugin, name="segment-clock")
    orch_bus.create_session(SID, orchestration_enabled=True)

    assert "⏱ 0m · " in orch_statusline(SID)
