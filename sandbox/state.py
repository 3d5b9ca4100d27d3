"""All mutable sandbox state: accounts, tokens, posts, media, uploads, quota.

Everything lives in one JSON-able document (``State.data``) plus a dict of media
bytes (``State.blobs``), guarded by one re-entrant lock (``State.lock``). Handlers
take the lock for their read-modify-write section and never sleep or do network
I/O while holding it.

With a state file, every change schedules a debounced, atomic save (temp file and
``os.replace``) so a restarted sandbox keeps accounts, tokens and post history.
"""

from __future__ import annotations

import base64
import bisect
import collections
import copy
import json
import os
import re
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .seed import build_seed, demo_tokens

URL_RE = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""
LOG_LIMIT = 5000


def extract_urls(*texts: str) -> list[str]:
    """Every http(s) URL in the given texts, in order, without duplicates."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in URL_RE.findall(text or ""):
            seen.setdefault(match.rstrip(_TRAILING), None)
    return list(seen)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class State:
    """The sandbox's world. See the module docstring for the locking rules."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.lock = threading.RLock()
        self.path = Path(path) if path else None
        self.log: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=LOG_LIMIT
        )
        self._dirty = threading.Event()
        # Per-process counters (rate-limit windows, usage headers); not persisted.
        self.transient: dict[str, Any] = {}
        self._closed = False
        self.data: dict[str, Any]
        self.blobs: dict[str, bytes]
        # (platform, account id) -> its posts' (created_ts, id), oldest first;
        # valid while ``_timelines_of`` is ``data``, built again on the next
        # read once ``data`` is replaced or a post is stored over another.
        self._timelines: dict[tuple[str, str], list[tuple[float, str]]] = {}
        self._timelines_of: dict[str, Any] | None = None
        if self.path and self.path.exists():
            self._load(self.path)
        else:
            self.data, self.blobs = build_seed()
            self.mark_dirty()
        self._saver: threading.Thread | None = None
        if self.path:
            self._saver = threading.Thread(
                target=self._save_loop, daemon=True, name="sandbox-state-saver"
            )
            self._saver.start()

    # ------------------------------------------------------------------ ids
    def next_seq(self) -> int:
        with self.lock:
            self.data["seq"] += 1
            return int(self.data["seq"])

    def numeric_id(self, base: int = 100_000_000_000_000) -> str:
        return str(base + self.next_seq())

    # --------------------------------------------------------------- tokens
    def issue_token(
        self,
        platform: str,
        *,
        account_id: str,
        scope: list[str],
        client_id: str = "",
        kind: str = "access",
        subject: str = "",
        expires_in: float | None = None,
        prefix: str = "",
        value: str | None = None,
        **extra: Any,
    ) -> str:
        """Create and store a token; ``expires_in=None`` means it never expires.
        ``value`` is the token itself where the platform's have a shape of
        their own (Bluesky's JWTs); otherwise it is random."""
        token = value or prefix + secrets.token_urlsafe(32)
        now = time.time()
        rec = {
            "platform": platform,
            "kind": kind,
            "type": subject,
            "account_id": account_id,
            "scope": list(scope),
            "client_id": client_id,
            "issued_at": now,
            "expires_at": None if expires_in is None else now + expires_in,
            "revoked": False,
            **extra,
        }
        with self.lock:
            self.data["tokens"][token] = rec
        self.mark_dirty()
        return token

    def check_token(
        self, platform: str, token: str | None
    ) -> tuple[dict[str, Any] | None, str]:
        """Return ``(record, status)``; status is ok|missing|unknown|expired|revoked."""
        if not token:
            return None, "missing"
        with self.lock:
            rec = self.data["tokens"].get(token)
        if rec is None or rec["platform"] != platform:
            return None, "unknown"
        if rec["revoked"]:
            return rec, "revoked"
        if rec["expires_at"] is not None and rec["expires_at"] <= time.time():
            return rec, "expired"
        return rec, "ok"

    def _matching_tokens(
        self, platform: str, token: str | None
    ) -> list[tuple[str, dict[str, Any]]]:
        tokens = self.data["tokens"]
        if token:
            rec = tokens.get(token)
            return [(token, rec)] if rec and rec["platform"] == platform else []
        return [(k, v) for k, v in tokens.items() if v["platform"] == platform]

    def expire_tokens(self, platform: str, token: str | None = None) -> int:
        """Expire access tokens now (refresh tokens keep working)."""
        count = 0
        with self.lock:
            for _key, rec in self._matching_tokens(platform, token):
                if rec["kind"] == "access":
                    rec["expires_at"] = time.time() - 1
                    count += 1
        self.mark_dirty()
        return count

    def revoke_tokens(self, platform: str, token: str | None = None) -> int:
        """Revoke tokens. Revoking one token also revokes its whole grant family
        (the refresh token and every access token minted from it)."""
        with self.lock:
            targets = self._matching_tokens(platform, token)
            families = {rec.get("family") for _k, rec in targets if rec.get("family")}
            count = 0
            for key, rec in self.data["tokens"].items():
                if rec["platform"] != platform:
                    continue
                if (
                    token is None
                    or key == token
                    or (rec.get("family") and rec.get("family") in families)
                ):
                    if not rec["revoked"]:
                        rec["revoked"] = True
                        count += 1
        self.mark_dirty()
        return count

    # ---------------------------------------------------------------- posts
    def posts(self, platform: str) -> dict[str, dict[str, Any]]:
        return self.data["posts"][platform]

    def add_post(self, rec: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            posts = self.data["posts"][rec["platform"]]
            replacing = rec["id"] in posts
            posts[rec["id"]] = rec
            if replacing:
                self._timelines_of = None
            elif self._timelines_of is self.data:
                timeline = self._timelines.setdefault(
                    (rec["platform"], rec["account_id"]), []
                )
                bisect.insort(timeline, _timeline_key(rec))
        self.mark_dirty()
        return rec

    def account_posts(
        self,
        platform: str,
        account_id: str,
        *,
        include_deleted: bool = False,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The account's posts, newest first; the newest ``limit`` of them if given.

        Read from each account's timeline, kept in order as posts are added, so
        a post (the X duplicate check reads the newest 50 on every one) does not
        sort the account's whole history."""
        with self.lock:
            posts = self.data["posts"][platform]
            if self._timelines_of is not self.data:
                self._index_timelines()
            items = []
            for _created, post_id in reversed(
                self._timelines.get((platform, account_id), [])
            ):
                post = posts[post_id]
                if include_deleted or not post["deleted"]:
                    items.append(post)
                    if len(items) == limit:
                        break
        return items

    def _index_timelines(self) -> None:
        """Each account's post keys in order (for a new or reloaded world)."""
        timelines: dict[tuple[str, str], list[tuple[float, str]]] = {}
        for platform, posts in self.data["posts"].items():
            for post in posts.values():
                timelines.setdefault((platform, post["account_id"]), []).append(
                    _timeline_key(post)
                )
        for timeline in timelines.values():
            timeline.sort()
        self._timelines, self._timelines_of = timelines, self.data

    def permalink(self, rec: dict[str, Any], base: str) -> str:
        platform, pid = rec["platform"], rec["id"]
        if platform == "facebook":
            page, _, post = pid.partition("_")
            return f"{base}/facebook/web/{page}/posts/{post or page}"
        if platform == "x":
            user = self.data["accounts"]["x"].get(rec["account_id"], {})
            return f"{base}/x/web/{user.get('username', 'i')}/status/{pid}"
        if platform == "mastodon":
            user = self.data["accounts"]["mastodon"].get(rec["account_id"], {})
            return f"{base}/mastodon/@{user.get('username', 'i')}/{pid}"
        if platform == "bluesky":
            user = self.data["accounts"]["bluesky"].get(rec["account_id"], {})
            return f"{base}/bluesky/web/profile/{user.get('handle')}/post/{pid}"
        return f"{base}/youtube/web/watch?v={pid}"

    def export_posts(
        self, base: str, platform: str | None = None, include_deleted: bool = False
    ) -> list[dict[str, Any]]:
        """Posts in the control-API shape documented in README.md."""
        platforms = [platform] if platform else list(self.data["posts"])
        out: list[dict[str, Any]] = []
        with self.lock:
            for name in platforms:
                posts = list(self.data["posts"].get(name, {}).values())
                sig_count: collections.Counter[tuple[str, ...]] = collections.Counter(
                    _signature(p) for p in posts
                )
                for p in sorted(posts, key=lambda p: (p["created_ts"], p["id"])):
                    if p["deleted"] and not include_deleted:
                        continue
                    out.append(
                        {
                            "platform": name,
                            "id": p["id"],
                            "account_id": p["account_id"],
                            "text": p["text"],
                            "link": p["link"],
                            "title": p["title"],
                            "description": p["description"],
                            "tags": list(p["tags"]),
                            "privacy": p["privacy"],
                            "media": [
                                {
                                    "id": m.get("id"),
                                    "type": m["type"],
                                    "alt_text": m.get("alt_text", ""),
                                    "size": m.get("size", 0),
                                }
                                for m in p["media"]
                            ],
                            "created_at": iso(p["created_ts"]),
                            "updated_at": iso(p["updated_ts"]),
                            "deleted": p["deleted"],
                            "permalink": self.permalink(p, base),
                            "urls": extract_urls(
                                p["text"], p["link"], p["description"]
                            ),
                            "times_created": sig_count[_signature(p)],
                            "edits": p["edits"],
                        }
                    )
        return out

    # ---------------------------------------------------------- request log
    def record_request(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.log.append(entry)

    def requests_log(self, platform: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [
                dict(e)
                for e in self.log
                if platform is None or e["platform"] == platform
            ]

    def expire_upload_sessions(self) -> int:
        """End every resumable upload session (YouTube keeps one about a week):
        from now on each answers 404. Returns how many were open."""
        with self.lock:
            sessions = [
                u
                for u in self.data["uploads"].values()
                if u.get("kind") == "yt_resumable" and not u.get("expired")
            ]
            for session in sessions:
                session["expired"] = True
                self.blobs.pop("upload:" + session["id"], None)
        self.mark_dirty()
        return len(sessions)

    # ---------------------------------------------------------- persistence
    def reset(self) -> None:
        data, blobs = build_seed()
        with self.lock:
            self.data, self.blobs = data, blobs
            self.log.clear()
            self.transient.clear()
        self.mark_dirty()

    def mark_dirty(self) -> None:
        if self.path:
            self._dirty.set()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            doc = copy.deepcopy(self.data)
            blobs = dict(self.blobs)
        doc["blobs"] = {k: base64.b64encode(v).decode() for k, v in blobs.items()}
        return doc

    def flush(self) -> None:
        """Write the state file now (atomically). No-op without a path."""
        if not self.path:
            return
        self._dirty.clear()
        doc = self.snapshot()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".sandbox-state-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, separators=(",", ":"))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def close(self) -> None:
        self._closed = True
        if self.path:
            self.flush()
            self._dirty.set()

    def _save_loop(self) -> None:
        while not self._closed:
            self._dirty.wait()
            if self._closed:
                return
            time.sleep(0.2)  # debounce: coalesce bursts of changes into one write
            try:
                self.flush()
            except OSError:
                time.sleep(1.0)

    def _load(self, path: Path) -> None:
        doc = json.loads(path.read_text(encoding="utf-8"))
        blobs = {k: base64.b64decode(v) for k, v in doc.pop("blobs", {}).items()}
        self.data, self.blobs = doc, blobs
        # A state file written before a platform was added gets its seed.
        fresh, fresh_blobs = build_seed()
        added = [p for p in fresh["posts"] if p not in self.data["posts"]]
        for platform in added:
            for key in ("accounts", "posts"):
                self.data[key][platform] = fresh[key][platform]
            for mid, meta in fresh["media"].items():
                if meta["platform"] == platform:
                    self.data["media"][mid] = meta
                    self.blobs[mid] = fresh_blobs[mid]
            self.mark_dirty()
        # A state file written before the demo grants existed gets them, so the demo
        # site's stored tokens work there too. One the file already holds is left
        # as it is: a rotated or revoked demo token stays used up until a reset.
        tokens = self.data.setdefault("tokens", {})
        missing = {
            key: rec
            for key, rec in demo_tokens(time.time()).items()
            if key not in tokens
        }
        if missing:
            tokens.update(missing)
            self.mark_dirty()


def _timeline_key(post: dict[str, Any]) -> tuple[float, str]:
    return (post["created_ts"], post["id"])


def _signature(p: dict[str, Any]) -> tuple[str, ...]:
    return (p["account_id"], p["text"].strip(), p["link"], p["title"], p["description"])
