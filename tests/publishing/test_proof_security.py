"""No token in any log: every record at DEBUG, in this process and in a real
worker's log file, during a full publish to the three channels and token
refreshes."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from publishing.accounts import refresh_expiring_tokens
from publishing.models import ChannelAccount, CrossPost
from tests.proof.helpers import forget_cached_rendition
from tests.publishing.conftest import publish, settle
from tests.worker_fixtures import WorkerProcess, in_place_of

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Everything(logging.Handler):
    """Keeps every record, formatted with its traceback if it has one."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs_at_debug():
    """Root and every logger that exists at DEBUG, one handler seeing it all."""
    handler = Everything()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)
    for logger, level in levels:
        logger.setLevel(level)


@pytest.fixture
def debug_worker(celery_worker_process):
    """A worker logging at DEBUG to a file of its own, in place of the
    session's worker for the length of the test."""
    worker = WorkerProcess(
        connection.settings_dict["NAME"], extra_env={"LOG_LEVEL": "DEBUG"}, name="debug"
    )
    worker.log_path = settings.TEST_DIR / "security-debug-worker.log"
    worker.log_path.unlink(missing_ok=True)
    with in_place_of(celery_worker_process, [worker]):
        yield worker


def _tokens() -> set[str]:
    found = set()
    for account in ChannelAccount.objects.all():
        found.update(t for t in (account.access_token, account.refresh_token) if t)
    return found


def _leaks(tokens: set[str], text: str) -> list[str]:
    """Tokens found whole or as any 12-character piece of them."""
    leaked = []
    for token in tokens:
        pieces = {token[i : i + 12] for i in range(0, max(len(token) - 11, 1), 6)}
        if any(piece in text for piece in pieces):
            leaked.append(token[:4] + "...")
    return leaked


@pytest.mark.slow
def test_no_token_in_any_log_during_a_publish_and_token_refreshes(
    sandbox, accounts, make_announcement, debug_worker, all_logs_at_debug
):
    tokens = _tokens()
    # The worker's first X call finds its token expired and refreshes it (X
    # rotates both tokens); YouTube's token is refreshed ahead of expiry here.
    sandbox.add_fault("x", "publish", "expire_token", count=1)
    ChannelAccount.objects.filter(platform="youtube").update(
        token_expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert refresh_expiring_tokens() == 1
    tokens |= _tokens()

    page = make_announcement(title="Garden waste subscriptions open")
    forget_cached_rendition(page.hero_image)
    publish(page)
    rows = settle(page, expected=3, timeout=90, worker=debug_worker)
    tokens |= _tokens()

    assert {row.state for row in rows} == {CrossPost.State.POSTED}, [
        (row.platform, row.last_error) for row in rows
    ]
    assert len(tokens) >= 7  # 3 accounts' first tokens + refreshed X and YouTube
    worker_log = debug_worker.log_path.read_text(errors="replace")
    # Both sides really logged at DEBUG, so the check below has something to read.
    assert " DEBUG " in worker_log
    assert any(" DEBUG " in line for line in all_logs_at_debug.lines)
    assert "posted" in worker_log.lower() or "succeeded" in worker_log
    assert _leaks(tokens, worker_log) == []
    assert _leaks(tokens, "\n".join(all_logs_at_debug.lines)) == []
