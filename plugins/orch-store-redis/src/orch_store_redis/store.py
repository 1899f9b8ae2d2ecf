"""The Redis session store: one server that every machine of a team writes to.

It keeps the SQLite store's contract and layout. A session is a *head* and
one *part* per entity (``orchcore.api.StoredState``), its event log is a list
whose index is the sequence number, and compaction moves older events to a
second list after a snapshot, on the same schedule (``compaction_due``).

Appends are optimistic transactions: ``WATCH`` the session's meta hash, read
the state, run the reducer here, then ``MULTI``/``EXEC`` the event, the parts
it touched and the new meta. Every append of a session rewrites its meta, so
a writer on another machine that committed in between makes ``EXEC`` fail
and this one starts again from the new state: no update is lost, none is
applied twice, and the sequence has no gaps. Each append also writes a
nonce, so an ``EXEC`` whose reply was lost is recognised as done instead of
applied again.

Every failure of the server becomes a ``StoreError`` within bounded
timeouts; on the hook path the router then keeps the event in the local
journal and answers Claude Code (see ``outage`` for failing fast).

Keys, under the prefix P (``store.prefix``):

=====================  ===========================================================
``P:sessions``         set of session ids
``P:s:<id>:meta``      hash: created_at, updated_at, last_seq, enabled, mode,
                       archived_at, head, size, archived_upto, snapshot_ts, nonce
``P:s:<id>:parts``     hash ``<kind>/<entity id>`` -> the entity's JSON
``P:s:<id>:ords``      hash ``<kind>/<entity id>`` -> its place in its collection
``P:s:<id>:log``       list of live events (JSON), oldest first
``P:s:<id>:archive``   list of archived events, oldest first
``P:s:<id>:keys``      set of event keys (live and archived)
``P:s:<id>:snaps``     hash ``<seq>/<reason>`` -> ``<ts> <state JSON>``
=====================  ===========================================================
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from orchcore.api import (
    AUTO_SNAPSHOT,
    AUTOMATIC_SNAPSHOTS,
    COMPACT,
    FIRST_ACTIVITY,
    HOURLY_SNAPSHOT,
    DuplicateEvent,
    Event,
    InvalidValue,
    Session,
    SessionInfo,
    SessionStore,
    StoredState,
    StoreError,
    check_state_size,
    clear_gate_flags,
    compaction_due,
    encode_data,
    from_snapshot,
    now_iso,
    reduced_state,
    snapshot_text,
    stale_snapshots,
    state_changes,
    touch_gate_flag,
    write_gate_flag,
)

from orch_store_redis import outage

T = TypeVar("T")

DEFAULT_URL = "redis://127.0.0.1:6379/0"
CONNECT_TIMEOUT_S = 0.5  # loopback or a LAN answers a connect in milliseconds; past this the server is not there
COMMAND_TIMEOUT_S = 2.0  # one command, or one transaction's EXEC
CACHED_SESSIONS = 32
PARTS = ("meta", "parts", "ords", "log", "archive", "keys", "snaps")


class Conflict(Exception):
    """Another writer committed to the session between our read and our EXEC: start again."""


class RedisStore(SessionStore):
    name = "redis"

    def __init__(
        self, url: str, prefix: str, state_dir: str, *, busy_timeout_s: float = 30.0,
        connect_timeout_s: float = CONNECT_TIMEOUT_S, timeout_s: float = COMMAND_TIMEOUT_S,
    ):
        self.url = url
        self.prefix = prefix
        self.state_dir = str(state_dir)  # the gate's flag files and the outage marker stay on this machine
        self.busy_timeout_s = busy_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.timeout_s = timeout_s
        self.location = f"{redact(url)} (keys {prefix}:*)"
        self._redis: Any = None
        self._down_until = 0.0
        self._failed = False

    # -- connection ----------------------------------------------------

    def _client(self) -> Any:
        if self._redis is None:
            import redis

            self._redis = redis.Redis(connection_pool=shared_pool(self.url, self.connect_timeout_s, self.timeout_s))
        return self._redis

    def _guard(self, work: Callable[[Any], T], *, fail_fast: bool = True) -> T:
        """``work(client)`` with every Redis failure turned into a StoreError that says what to do."""
        import redis

        if fail_fast:
            self._fail_fast()
        try:
            try:
                result = work(self._client())
            except redis.exceptions.ConnectionError as exc:
                if isinstance(exc, redis.exceptions.AuthenticationError):
                    raise
                # A pooled connection from before a server restart fails once: try again on a new one.
                # Safe for writes too: an append either never reached EXEC or found its nonce (see _committed).
                self._client().connection_pool.disconnect()
                result = work(self._client())
        except redis.exceptions.AuthenticationError as exc:
            raise StoreError(f"Redis at {self.location} refused our credentials ({exc}); check the password "
                             "or user in store.url / ORCH_REDIS_URL") from None
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            raise self._unreachable(exc) from None
        except redis.exceptions.ResponseError as exc:
            raise StoreError(f"Redis at {self.location} refused a command: {exc}") from None
        if self._failed:
            self._failed = False
            outage.clear(self.state_dir)
        return result

    def _fail_fast(self) -> None:
        """Right after a failure, fail at once: a hung server must not cost each hook event a timeout."""
        if time.monotonic() < self._down_until:
            raise StoreError(f"Redis at {self.location} is unreachable (it failed moments ago)")
        if self._redis is None:
            problem = outage.recent_failure(self.state_dir, redact(self.url))
            if problem is not None:
                self._failed = True
                raise StoreError(f"Redis at {self.location} is unreachable ({problem})")

    def _unreachable(self, exc: BaseException) -> StoreError:
        problem = f"{type(exc).__name__}: {exc}"
        self._down_until = time.monotonic() + outage.RETRY_AFTER_S
        self._failed = True
        outage.mark(self.state_dir, redact(self.url), problem)  # never a password on disk
        return StoreError(
            f"Redis at {self.location} is unreachable ({problem}); hook events wait in the local journal "
            "and are applied when it answers again (`orch doctor`)"
        )

    def close(self) -> None:
        """Done with this store; its connections stay in the process's pool for the next one."""
        self._redis = None

    # -- keys -----------------------------------------------------------

    def key(self, session_id: str, part: str) -> str:
        return f"{self.prefix}:s:{session_id}:{part}"

    @property
    def sessions_key(self) -> str:
        return f"{self.prefix}:sessions"

    # -- capabilities (see SessionStore) ---------------------------------

    def note_activity(self, session_id: str, enabled: bool) -> None:
        if not touch_gate_flag(self.state_dir, session_id, enabled):
            self._sync_flag(session_id)

    def _sync_flag(self, session_id: str) -> None:
        """The gate's flag file says what the server says (it runs after the commit, so check once more)."""
        enabled = self._guard(lambda r: r.hget(self.key(session_id, "meta"), "enabled"))
        if enabled is None:
            clear_gate_flags(self.state_dir, session_id)
        else:
            write_gate_flag(self.state_dir, session_id, enabled == "1")

    def integrity_problem(self) -> str | None:
        """Whether the server answers (``orch doctor``), tried now whatever failed a moment ago."""
        try:
            self._guard(lambda r: r.ping(), fail_fast=False)
        except StoreError as exc:
            return str(exc)
        return None

    def operator_note(self) -> str | None:
        """How the server keeps data across a restart (``orch doctor``): without AOF or RDB, it does not."""
        import redis

        def read(r: Any) -> str:
            if str(r.info("persistence").get("aof_enabled")) == "1":
                return "server persistence: AOF on"
            saves = r.config_get("save").get("save")
            if not saves:
                return "WARNING: the server has neither AOF nor RDB saves: a restart loses every session"
            return f"server persistence: RDB saves ({saves}), AOF off: a crash loses the writes since the last save"

        try:
            return self._guard(read, fail_fast=False)
        except (StoreError, redis.exceptions.RedisError):  # CONFIG may be disabled on a managed server
            return None

    # -- reading -----------------------------------------------------------

    def has_session(self, session_id: str) -> bool:
        return bool(self._guard(lambda r: r.exists(self.key(session_id, "meta"))))

    def load(self, session_id: str) -> Session | None:
        stored = self._guard(lambda r: self._read_stored(r, session_id))
        return None if stored is None else stored.view(session_id, self.location)

    def _read_stored(self, r: Any, session_id: str) -> StoredState | None:
        meta = r.hgetall(self.key(session_id, "meta"))
        if not meta:
            return None
        cached = self._cached(session_id, meta)
        if cached is not None:
            return cached
        pipe = r.pipeline(transaction=True)  # one atomic read: head and parts of one commit
        pipe.hgetall(self.key(session_id, "meta"))
        pipe.hgetall(self.key(session_id, "parts"))
        pipe.hgetall(self.key(session_id, "ords"))
        meta, parts, ords = pipe.execute()
        if not meta:
            return None
        return self._remember(session_id, meta, _stored(meta, parts, ords))

    def sessions(self) -> list[SessionInfo]:
        def read(r: Any) -> list[SessionInfo]:
            ids = sorted(r.smembers(self.sessions_key))
            pipe = r.pipeline(transaction=False)
            for session_id in ids:
                pipe.hmget(self.key(session_id, "meta"), *INFO_FIELDS)
            found = []
            for session_id, values in zip(ids, pipe.execute()):
                if values[0] is None:  # removed meanwhile
                    continue
                created, updated, last_seq, enabled, mode, archived = values
                found.append(SessionInfo(
                    session_id=session_id, created_at=created, updated_at=updated or created,
                    last_seq=int(last_seq or 0), orchestration_enabled=enabled == "1", mode=mode or "",
                    archived_at=archived or None,
                ))
            return found

        return sorted(self._guard(read), key=lambda i: i.updated_at, reverse=True)

    def events(
        self,
        session_id: str,
        *,
        after: int = 0,
        upto: int | None = None,
        types: Iterable[str] | None = None,
        limit: int | None = None,
        newest: bool = False,
    ) -> list[Event]:
        """Live and archived events alike: compaction moves events, it never hides them."""
        wanted = set(types or ())
        if limit is not None and limit <= 0:
            return []
        texts = self._guard(lambda r: self._event_texts(r, session_id, after, upto, None if wanted else limit, newest))
        found = [self._event(session_id, text) for text in texts]
        if wanted:
            found = [e for e in found if e.type in wanted]
        if limit is not None:
            found = found[-limit:] if newest else found[:limit]
        return found

    def _event_texts(
        self, r: Any, session_id: str, after: int, upto: int | None, limit: int | None, newest: bool
    ) -> list[str]:
        meta_key = self.key(session_id, "meta")
        for _ in range(10):  # a compaction between our two reads moves events: read again
            archived, last = r.hmget(meta_key, "archived_upto", "last_seq")
            if last is None:
                return []
            archived, last = int(archived or 0), int(last)
            low, high = after + 1, last if upto is None else min(upto, last)
            if limit is not None:
                low, high = (max(low, high - limit + 1), high) if newest else (low, min(high, low + limit - 1))
            if low > high:
                return []
            pipe = r.pipeline(transaction=True)
            pipe.hget(meta_key, "archived_upto")
            if low <= archived:
                pipe.lrange(self.key(session_id, "archive"), low - 1, min(high, archived) - 1)
            if high > archived:
                pipe.lrange(self.key(session_id, "log"), max(low, archived + 1) - archived - 1, high - archived - 1)
            now, *ranges = pipe.execute()
            if int(now or 0) == archived:
                return [text for texts in ranges for text in texts]
        raise StoreError(f"the log of session {session_id} in {self.location} kept moving while it was read")

    def _event(self, session_id: str, text: str) -> Event:
        try:
            row = json.loads(text)
            return Event(seq=row["seq"], session_id=session_id, ts=row["ts"], type=row["type"],
                         source=row["source"], data=row["data"])
        except (ValueError, KeyError, TypeError):
            raise StoreError(f"an event of session {session_id} in {self.location} is corrupt: {text[:80]!r}") from None

    def recorded_keys(self, session_id: str, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return set()
        flags = self._guard(lambda r: r.smismember(self.key(session_id, "keys"), wanted))
        return {key for key, flag in zip(wanted, flags) if flag}

    def archived_upto(self, session_id: str) -> int:
        """The last seq that compaction moved to the archive (0: none)."""
        return int(self._guard(lambda r: r.hget(self.key(session_id, "meta"), "archived_upto")) or 0)

    def latest_snapshot(self, session_id: str, upto: int | None = None) -> tuple[int, Session] | None:
        def read(r: Any) -> tuple[int, str] | None:
            fields = [(seq, f) for seq, _, f in _snapshot_fields(r.hkeys(self.key(session_id, "snaps")))]
            fields = [(seq, f) for seq, f in fields if upto is None or seq <= upto]
            if not fields:
                return None
            seq, field = max(fields)
            text = r.hget(self.key(session_id, "snaps"), field)
            return None if text is None else (seq, text)

        found = self._guard(read)
        if found is None:
            return None
        seq, text = found
        try:
            return seq, from_snapshot(session_id, text.partition(" ")[2], self.location)
        except (ValueError, KeyError, TypeError, InvalidValue):
            return None  # a damaged snapshot: replay from the first event instead

    def snapshots_of(self, session_id: str) -> list[tuple[int, str, str]]:
        """(seq, reason, ts) of each snapshot of the session, oldest first."""

        def read(r: Any) -> list[tuple[int, str, str]]:
            fields = _snapshot_fields(r.hkeys(self.key(session_id, "snaps")))
            texts = r.hmget(self.key(session_id, "snaps"), [f for *_, f in fields]) if fields else []
            return sorted((seq, reason, (text or "").partition(" ")[0]) for (seq, reason, _), text in zip(fields, texts))

        return self._guard(read)

    # -- the cache of decoded states ---------------------------------------

    def _cached(self, session_id: str, meta: dict[str, str]) -> StoredState | None:
        with _CACHE_LOCK:
            found = _CACHE.get((self.url, self.prefix, session_id))
        if found is not None and found[0] == (meta.get("created_at"), meta.get("last_seq")) and found[1].head == meta.get("head"):
            return found[1]
        return None

    def _remember(self, session_id: str, meta: dict[str, str], stored: StoredState) -> StoredState:
        key = (self.url, self.prefix, session_id)
        with _CACHE_LOCK:
            _CACHE[key] = ((meta.get("created_at"), meta.get("last_seq")), stored)
            _CACHE.move_to_end(key)
            while len(_CACHE) > CACHED_SESSIONS:
                _CACHE.popitem(last=False)
        return stored

    def _forget(self, session_id: str) -> None:
        with _CACHE_LOCK:
            _CACHE.pop((self.url, self.prefix, session_id), None)

    # -- writing -------------------------------------------------------------

    def append(
        self, session_id: str, type: str, data: dict[str, Any], source: str, reduce: Any, *, create: bool = False,
        key: str | None = None, ts: str | None = None,
    ) -> tuple[Event, Session]:
        encoded = encode_data(type, data)
        nonce = os.urandom(8).hex()
        result = self._optimistic(session_id, lambda r: self._append_once(
            r, session_id, type, encoded, source, reduce, create, key, ts, nonce))
        event, state, flag_changed = result
        if flag_changed:
            self._sync_flag(session_id)
        return event, state

    def _optimistic(self, session_id: str, attempt: Callable[[Any], T]) -> T:
        """Run ``attempt`` until no other writer interferes (jittered backoff, bounded by ``busy_timeout_s``)."""
        deadline = time.monotonic() + self.busy_timeout_s
        delay = 0.001
        while True:
            try:
                return self._guard(attempt)
            except Conflict:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"session {session_id} in {self.location} changed under every attempt to write it for "
                        f"{self.busy_timeout_s:.0f} s; too many writers at once?"
                    ) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.05)

    def _append_once(
        self, r: Any, session_id: str, type: str, encoded: str, source: str, reduce: Any, create: bool,
        key: str | None, ts: str | None, nonce: str,
    ) -> tuple[Event, Session, bool]:
        import redis

        meta_key = self.key(session_id, "meta")
        with r.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(meta_key)
                meta = pipe.hgetall(meta_key)
                if not meta and not create:
                    raise self._unknown(session_id)
                if key is not None and pipe.sismember(self.key(session_id, "keys"), key):
                    raise DuplicateEvent(f"session {session_id} already has the event {key!r}")
                before = self._stored_for_write(pipe, session_id, meta)
                seq = int(meta.get("last_seq", 0)) + 1
                view = before.view(session_id, self.location)
                event = Event(seq=seq, session_id=session_id, ts=ts or now_iso(), type=type, source=source,
                              data=json.loads(encoded))
                state = reduced_state(reduce(view, event), session_id, type)
                change = state_changes(before, view, state, type)
                check_state_size(session_id, type, before.size, change.size, self.limits)
                after = change.applied(before)
                archived = int(meta.get("archived_upto", 0))
                work = compaction_due(seq, event.ts, buffer=self.limits.event_buffer, archived_upto=archived,
                                      snapshot_ts=meta.get("snapshot_ts") or None)
                moving: list[str] = []
                stale: list[str] = []
                if work is not None and work[0] == COMPACT:
                    moving = pipe.lrange(self.key(session_id, "log"), 0, work[1] - archived - 1)
                if work is not None and work[0] != FIRST_ACTIVITY:
                    stale = self._stale_snapshots(pipe, session_id, seq)
                enabled = "1" if state.orchestration_enabled else "0"
                new_meta = {
                    "updated_at": state.updated_at or event.ts, "last_seq": seq, "enabled": enabled,
                    "mode": state.mode, "archived_at": getattr(state, "archived_at", None) or "",
                    "head": change.head, "size": change.size, "nonce": nonce,
                }
                if not meta:
                    new_meta["created_at"] = state.created_at or event.ts
                    new_meta["archived_upto"] = 0

                pipe.multi()
                pipe.rpush(self.key(session_id, "log"), event_text(event, encoded, key))
                if key is not None:
                    pipe.sadd(self.key(session_id, "keys"), key)
                self._write_parts(pipe, session_id, change)
                if work is not None:
                    self._maintain(pipe, session_id, work, event.ts, after, moving, stale, new_meta)
                pipe.hset(meta_key, mapping=new_meta)
                pipe.sadd(self.sessions_key, session_id)
                try:
                    pipe.execute()
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                    if not self._committed(meta_key, nonce):
                        raise
            except redis.exceptions.WatchError:
                raise Conflict() from None
        created = meta.get("created_at") or new_meta["created_at"]
        self._remember(session_id, {"created_at": created, "last_seq": str(seq), "head": change.head}, after)
        return event, state, meta.get("enabled") != enabled

    def _committed(self, meta_key: str, nonce: str) -> bool:
        """After EXEC's reply was lost: whether it was applied (our nonce is there), asked on a new connection."""
        try:
            return self._client().hget(meta_key, "nonce") == nonce
        except Exception:
            return False

    def _stored_for_write(self, pipe: Any, session_id: str, meta: dict[str, str]) -> StoredState:
        if not meta:
            return StoredState.empty(session_id)
        cached = self._cached(session_id, meta)
        if cached is not None:
            return cached
        # Under WATCH: if anyone commits between these reads, EXEC fails and we read again.
        return _stored(meta, pipe.hgetall(self.key(session_id, "parts")), pipe.hgetall(self.key(session_id, "ords")))

    def _write_parts(self, pipe: Any, session_id: str, change: Any) -> None:
        parts, ords = self.key(session_id, "parts"), self.key(session_id, "ords")
        texts: dict[str, str] = {}
        places: dict[str, int] = {}
        for kind, item_id, place, text in change.written:
            field = f"{kind}/{item_id}"
            texts[field] = text
            if place >= 0:
                places[field] = place
        if texts:
            pipe.hset(parts, mapping=texts)
        if places:
            pipe.hset(ords, mapping=places)
        gone = [f"{kind}/{item_id}" for kind, item_id in change.removed]
        if gone:
            pipe.hdel(parts, *gone)
            pipe.hdel(ords, *gone)

    # -- snapshots and compaction ---------------------------------------------

    def _stale_snapshots(self, pipe: Any, session_id: str, seq: int) -> list[str]:
        """Fields of the automatic snapshots to drop once one more (at ``seq``) is taken."""
        automatic = [(s, f) for s, reason, f in _snapshot_fields(pipe.hkeys(self.key(session_id, "snaps")))
                     if reason in AUTOMATIC_SNAPSHOTS]
        drop = set(stale_snapshots(sorted({s for s, _ in automatic} | {seq})))
        return [f for s, f in automatic if s in drop]

    def _maintain(
        self, pipe: Any, session_id: str, work: tuple[str, int], ts: str, stored: StoredState, moving: list[str],
        stale: list[str], meta: dict[str, Any],
    ) -> None:
        """Inside the append's transaction: what ``compaction_due`` said (the same schedule as SQLite's)."""
        what, upto = work
        meta["snapshot_ts"] = ts
        if what == FIRST_ACTIVITY:
            return
        reason = AUTO_SNAPSHOT if what == COMPACT else HOURLY_SNAPSHOT
        self._put_snapshot(pipe, session_id, meta["last_seq"], reason, ts, stored)
        if stale:
            pipe.hdel(self.key(session_id, "snaps"), *stale)
        if what == COMPACT and moving:
            pipe.rpush(self.key(session_id, "archive"), *moving)
            pipe.ltrim(self.key(session_id, "log"), len(moving), -1)
            meta["archived_upto"] = upto

    def _put_snapshot(self, pipe: Any, session_id: str, seq: Any, reason: str, ts: str, stored: StoredState) -> None:
        """Queue one snapshot: field ``<seq>/<reason>``, value ``<ts> <state JSON>`` (read by ``_snapshot_fields``)."""
        pipe.hset(self.key(session_id, "snaps"), f"{seq}/{reason}", f"{ts} {snapshot_text(stored)}")

    def snapshot(self, session_id: str, reason: str) -> int | None:
        """A snapshot of the session's state now, kept under ``reason`` (a checkpoint's name)."""
        import redis

        def take(r: Any) -> int:
            meta_key = self.key(session_id, "meta")
            with r.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(meta_key)
                    meta = pipe.hgetall(meta_key)
                    if not meta:
                        raise self._unknown(session_id)
                    stored = self._stored_for_write(pipe, session_id, meta)
                    ts = now_iso()
                    pipe.multi()
                    self._put_snapshot(pipe, session_id, meta["last_seq"], reason or "checkpoint", ts, stored)
                    pipe.hset(meta_key, "snapshot_ts", ts)
                    pipe.execute()
                except redis.exceptions.WatchError:
                    raise Conflict() from None
                return int(meta["last_seq"])

        return self._optimistic(session_id, take)

    def remove_session(self, session_id: str) -> bool:
        def remove(r: Any) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.delete(*(self.key(session_id, part) for part in PARTS))
            pipe.srem(self.sessions_key, session_id)
            pipe.execute()

        self._guard(remove)
        clear_gate_flags(self.state_dir, session_id)
        self._forget(session_id)
        return True


_POOLS: dict[tuple[str, float, float], Any] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(url: str, connect_timeout_s: float, timeout_s: float) -> Any:
    """The process's connection pool for a server: kept open across stores, so the resident runtime,
    which opens a store per request, reuses its connections instead of connecting (and, with TLS,
    handshaking) for every hook event."""
    key = (url, connect_timeout_s, timeout_s)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            try:
                pool = redis.ConnectionPool.from_url(
                    url, socket_connect_timeout=connect_timeout_s, socket_timeout=timeout_s,
                    retry=Retry(NoBackoff(), 0), retry_on_timeout=False, decode_responses=True,
                    health_check_interval=30, client_name="orchcore",
                )
            except ValueError as exc:
                raise StoreError(f"store.url {redact(url)!r} is not a Redis URL ({exc}); "
                                 "use redis://host:port/db or rediss:// for TLS") from None
            _POOLS[key] = pool
        return pool


INFO_FIELDS = ("created_at", "updated_at", "last_seq", "enabled", "mode", "archived_at")

_CACHE: OrderedDict[tuple[str, str, str], tuple[tuple[Any, Any], StoredState]] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def _stored(meta: dict[str, str], parts: dict[str, str], ords: dict[str, str]) -> StoredState:
    rows = []
    for field, text in parts.items():
        kind, _, item_id = field.partition("/")
        rows.append((kind, item_id, int(ords.get(field, 0)), text))
    rows.sort(key=lambda row: (row[0], row[2]))
    return StoredState.load(meta.get("head", ""), rows)


def _snapshot_fields(fields: Iterable[str]) -> list[tuple[int, str, str]]:
    """(seq, reason, field) of each snapshot field ``<seq>/<reason>``; fields that are not one are passed over."""
    found = []
    for field in fields:
        seq, _, reason = field.partition("/")
        if seq.isdigit():
            found.append((int(seq), reason, field))
    return found


def event_text(event: Event, encoded: str, key: str | None) -> str:
    """One stored event: its fields, with the data's JSON as it was encoded (not encoded again)."""
    return (f'{{"seq":{event.seq},"ts":{json.dumps(event.ts)},"type":{json.dumps(event.type)},'
            f'"source":{json.dumps(event.source, ensure_ascii=True)},"key":{json.dumps(key)},"data":{encoded}}}')


def redact(url: str) -> str:
    """The URL without its password, for messages and ``orch doctor``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def open_redis(state_dir: Any, options: dict[str, Any]) -> RedisStore:
    """The factory ``store.backend = "redis"`` calls; ORCH_REDIS_URL wins over ``store.url``."""
    url = os.environ.get("ORCH_REDIS_URL") or options.get("url") or DEFAULT_URL
    prefix = str(options.get("prefix") or "orchcore")
    return RedisStore(
        str(url), prefix, str(state_dir),
        busy_timeout_s=_seconds(options.get("busy_timeout_s", os.environ.get("ORCH_BUSY_TIMEOUT_S")), 30.0),
        connect_timeout_s=_seconds(options.get("connect_timeout_s"), CONNECT_TIMEOUT_S),
        timeout_s=_seconds(options.get("timeout_s"), COMMAND_TIMEOUT_S),
    )


def _seconds(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default
