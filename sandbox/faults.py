"""Fault injection, artificial latency and scenarios.

A fault matches calls by platform (or ``*``) and operation (or ``*``). It fires
with probability ``rate`` or for the next ``count`` matching calls; with neither it
fires on every matching call. The kinds and what they do are documented in
README.md; the platform modules render the platform-specific bodies.

A scenario is a standing setting that makes a platform behave as the real one
does at its least convenient (a listing that lags behind writes, a video that
fails processing); it lasts until changed or reset.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

OPERATIONS = ("publish", "update", "delete", "get", "list", "media", "token", "me",
              "*")
KINDS = ("server_error", "hang", "rate_limit", "expire_token", "drop_after_create",
         "html_error", "truncated_json", "error")
PLATFORM_NAMES = ("facebook", "x", "youtube", "mastodon", "bluesky", "*")
#: Scenario settings by platform, with their defaults (the kind behaviour).
SCENARIOS: dict[str, dict[str, Any]] = {
    "facebook": {
        # Pages a page of /me/accounts lists when no limit is asked (Graph's 25).
        "accounts_page_size": 25,
        # Listings leave out when each post was made (an answer a real
        # platform can give after an outage or a field change).
        "omit_timestamps": False,
    },
    "x": {"omit_timestamps": False},
    "mastodon": {"omit_timestamps": False},
    "bluesky": {"omit_timestamps": False},
    "youtube": {
        "omit_timestamps": False,
        # Seconds before a new video shows in its channel's uploads playlist.
        "playlist_lag_seconds": 0.0,
        # Seconds a new video stays "uploaded" (being processed), and how its
        # processing then ends: "processed", "rejected" or "failed", with
        # YouTube's rejectionReason or failureReason.
        "processing_seconds": 5.0,
        "processing_outcome": "processed",
        "rejection_reason": "duplicate",
        "failure_reason": "codec",
    },
}

#: Scenario settings that take one of a few values.
SCENARIO_CHOICES = {("youtube", "processing_outcome"): ("processed", "rejected",
                                                         "failed")}


class FaultError(ValueError):
    """Raised for an invalid fault definition (becomes a 400 on the control API)."""


@dataclass
class Fault:
    id: str
    platform: str
    operation: str
    kind: str
    rate: float | None = None
    count: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    fired: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    """Thread-safe registry of faults and latency settings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._latency: dict[str, tuple[float, float]] = {}
        self._scenarios: dict[str, dict[str, Any]] = {}
        self._release = threading.Event()
        # Fault sampling is for test realism, not security.
        self._rng = random.Random()  # noqa: S311

    def add(self, platform: str, operation: str, kind: str, *,
            rate: float | None = None, count: int | None = None,
            **params: Any) -> Fault:
        if platform not in PLATFORM_NAMES:
            raise FaultError(f"unknown platform {platform!r}")
        if operation not in OPERATIONS:
            raise FaultError(f"unknown operation {operation!r}")
        if kind not in KINDS:
            raise FaultError(f"unknown fault kind {kind!r}")
        if rate is not None and not 0 <= float(rate) <= 1:
            raise FaultError("rate must be between 0 and 1")
        if count is not None and int(count) < 1:
            raise FaultError("count must be at least 1")
        with self._lock:
            fault = Fault(id=f"f{next(self._ids)}", platform=platform,
                          operation=operation, kind=kind,
                          rate=None if rate is None else float(rate),
                          count=None if count is None else int(count), params=params)
            self._faults.append(fault)
        return fault

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def remove(self, fault_id: str) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            return len(self._faults) != before

    def clear(self, *, latency: bool = True) -> None:
        """Remove every fault (and latency setting) and release waiting hangs."""
        with self._lock:
            self._faults.clear()
            if latency:
                self._latency.clear()
                self._scenarios.clear()
            release, self._release = self._release, threading.Event()
        release.set()

    def pick(self, platform: str, operation: str | None) -> Fault | None:
        """The first fault that matches and decides to fire (consuming a count)."""
        if operation is None:
            return None
        with self._lock:
            for fault in self._faults:
                if fault.platform not in ("*", platform):
                    continue
                if fault.operation not in ("*", operation):
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                elif fault.rate is not None and self._rng.random() >= fault.rate:
                    continue
                fault.fired += 1
                return fault
        return None

    def hang(self, seconds: float) -> bool:
        """Block for ``seconds`` or until released; True when released early."""
        with self._lock:
            release = self._release
        return release.wait(seconds)

    # ------------------------------------------------------------ scenarios
    def set_scenario(self, platform: str, **settings: Any) -> dict[str, Any]:
        """Change some of ``platform``'s scenario settings; all of them, after."""
        known = SCENARIOS.get(platform)
        if known is None:
            raise FaultError(f"unknown platform {platform!r}")
        for name, value in settings.items():
            if name not in known:
                raise FaultError(f"unknown {platform} scenario {name!r}")
            if not isinstance(value, type(known[name])) and not (
                isinstance(known[name], float) and isinstance(value, int)
            ):
                raise FaultError(f"{platform} scenario {name!r} takes "
                                 f"{type(known[name]).__name__}")
            choices = SCENARIO_CHOICES.get((platform, name))
            if choices and value not in choices:
                raise FaultError(f"{platform} scenario {name!r} is one of "
                                 f"{', '.join(choices)}")
        with self._lock:
            self._scenarios.setdefault(platform, {}).update(settings)
        return self.scenarios()[platform]

    def scenarios(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {platform: {**defaults, **self._scenarios.get(platform, {})}
                    for platform, defaults in SCENARIOS.items()}

    def scenario(self, platform: str, name: str) -> Any:
        with self._lock:
            return self._scenarios.get(platform, {}).get(
                name, SCENARIOS[platform][name])

    # -------------------------------------------------------------- latency
    def set_latency(self, platform: str, fixed_ms: float, jitter_ms: float = 0) -> None:
        if platform not in PLATFORM_NAMES:
            raise FaultError(f"unknown platform {platform!r}")
        with self._lock:
            self._latency[platform] = (max(0.0, float(fixed_ms)),
                                       max(0.0, float(jitter_ms)))

    def latency(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {k: {"fixed_ms": v[0], "jitter_ms": v[1]}
                    for k, v in self._latency.items()}

    def delay(self, platform: str) -> None:
        """Sleep for the configured latency of ``platform`` (no lock held)."""
        with self._lock:
            setting = self._latency.get(platform) or self._latency.get("*")
            if not setting:
                return
            fixed, jitter = setting
            extra = self._rng.uniform(0, jitter) if jitter else 0.0
        total = (fixed + extra) / 1000.0
        if total > 0:
            time.sleep(total)
