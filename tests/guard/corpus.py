"""The guard's corpus: text that must be held and ordinary council text that
must not be, read from the data files beside this module."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
#: The council's published contacts, as on its online protocol settings.
ALLOWED_PHONE_NUMBERS = "01632 960000\n0300 123 4567"
ALLOWED_EMAIL_ADDRESSES = "exampleshire.gov.uk"


def _lines(name: str) -> list[str]:
    text = (HERE / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def personal_data() -> list[tuple[str, str]]:
    """``(rule, text)``: the rule that must hold each text."""
    return [tuple(line.split("\t", 1)) for line in _lines("personal_data.txt")]


def ordinary() -> list[str]:
    return _lines("ordinary.txt")


def council_settings():
    from publishing.models import ProtocolSettings

    return ProtocolSettings(
        allowed_phone_numbers=ALLOWED_PHONE_NUMBERS,
        allowed_email_addresses=ALLOWED_EMAIL_ADDRESSES,
    )
