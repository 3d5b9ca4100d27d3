"""Python client for the sandbox control API (used by tests and benchmarks).

    sb = SandboxControl("http://127.0.0.1:8700")
    sb.reset()
    token = sb.mint_token("x")["access_token"]
    sb.add_fault("x", "publish", "drop_after_create", count=1)
"""

from __future__ import annotations

from typing import Any

import requests


class SandboxControlError(RuntimeError):
    """The control API rejected a request."""


class SandboxControl:
    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, json: dict[str, Any] | None = None,
              params: dict[str, Any] | None = None) -> Any:
        resp = self.session.request(method, f"{self.url}/_sandbox{path}", json=json,
                                    params=params, timeout=self.timeout)
        if resp.status_code >= 400:
            raise SandboxControlError(f"{method} {path}: {resp.status_code} "
                                      f"{resp.text}")
        return resp.json()

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def reset(self) -> None:
        """Restore the seed world, clear faults/latency and release hangs."""
        self._call("POST", "/reset")

    def mint_token(self, platform: str, *, kind: str | None = None,
                   account_id: str | None = None, expires_in: float | None = None,
                   scope: str | list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"platform": platform}
        for key, value in (("kind", kind), ("account_id", account_id),
                           ("expires_in", expires_in), ("scope", scope)):
            if value is not None:
                body[key] = value
        return self._call("POST", "/tokens", body)

    def expire_tokens(self, platform: str, access_token: str | None = None) -> int:
        body = {"platform": platform, "access_token": access_token}
        return int(self._call("POST", "/tokens/expire", body)["expired"])

    def revoke_tokens(self, platform: str, token: str | None = None) -> int:
        body = {"platform": platform, "token": token}
        return int(self._call("POST", "/tokens/revoke", body)["revoked"])

    def add_fault(self, platform: str, operation: str, kind: str, *,
                  rate: float | None = None, count: int | None = None,
                  **params: Any) -> str:
        body: dict[str, Any] = {"platform": platform, "operation": operation,
                                "kind": kind, **params}
        if rate is not None:
            body["rate"] = rate
        if count is not None:
            body["count"] = count
        return str(self._call("POST", "/faults", body)["id"])

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/faults")["faults"])

    def remove_fault(self, fault_id: str) -> bool:
        resp = self.session.delete(f"{self.url}/_sandbox/faults/{fault_id}",
                                   timeout=self.timeout)
        return resp.status_code == 200

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_latency(self, platform: str, fixed_ms: float, jitter_ms: float = 0
                    ) -> None:
        self._call("POST", "/latency", {"platform": platform, "fixed_ms": fixed_ms,
                                        "jitter_ms": jitter_ms})

    def set_scenario(self, platform: str, **settings: Any) -> dict[str, Any]:
        """Change how ``platform`` behaves until reset (see README: Scenarios)."""
        body = {"platform": platform, **settings}
        return dict(self._call("POST", "/scenarios", body)["scenarios"][platform])

    def expire_upload_sessions(self) -> int:
        """End every open resumable upload session, as a week's wait would."""
        return int(self._call("POST", "/uploads/expire")["expired"])

    def posts(self, platform: str | None = None, include_deleted: bool = False
              ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {}
        if platform:
            params["platform"] = platform
        if include_deleted:
            params["include_deleted"] = "1"
        return list(self._call("GET", "/posts", params=params)["posts"])

    def requests_log(self, platform: str | None = None) -> list[dict[str, Any]]:
        params = {"platform": platform} if platform else None
        return list(self._call("GET", "/requests", params=params)["requests"])

    def quota(self, **changes: int) -> dict[str, Any]:
        """YouTube quota counters; pass e.g. ``units_used=9990`` to change them."""
        if changes:
            return self._call("POST", "/quota", changes)
        return self._call("GET", "/quota")
