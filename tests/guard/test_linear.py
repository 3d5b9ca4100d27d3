"""Checking takes work in proportion to the text's length.

Counted in Python steps (trace events), not timed: a test that times itself
fails on a busy machine. ``benchmarks/guard.py`` measures the time.
"""

from __future__ import annotations

import sys

from publishing import guard
from publishing.models import ProtocolSettings

# Every rule matching again and again, with markings nested in longer ones.
SAMPLE = (
    "TOP SECRET SECRET OFFICIAL-SENSITIVE EMBARGOED jo@example.org "
    "020 7946 0018 AB123456C 943 476 5919 \u041eFFICIAL\u200b "
)


def python_steps(text: str) -> int:
    steps = 0

    def tracer(frame, event, arg):
        nonlocal steps
        steps += 1
        return tracer

    settings = ProtocolSettings(blocklist="fly tipping")
    sys.settrace(tracer)
    try:
        guard.check_text(text, settings)
    finally:
        sys.settrace(None)
    return steps


def test_four_times_the_text_takes_about_four_times_the_work(monkeypatch):
    # Every finding listed, so the cap on findings does not hide the growth.
    monkeypatch.setattr(guard, "MAX_FINDINGS_PER_RULE", 10**9, raising=False)
    small = python_steps(SAMPLE * 100)
    large = python_steps(SAMPLE * 400)
    assert large / small < 4.4  # quadratic work would be about 16 times
