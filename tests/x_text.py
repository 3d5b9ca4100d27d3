"""Text pieces for property tests of X's weighted length: council wording ("£",
curly quotes, dashes, accents, URLs, a bare domain, Windows line endings) with
emoji, keycaps, CJK and combining marks mixed in."""

from hypothesis import strategies as st

LINK = "https://www.exampleshire.gov.uk/news/garden-waste-restarts/"

PIECES = [
    "Bins", " ", "£5", "’", "“quoted”", " – ", "café", "e\u0301", "\r\n", "\r",
    "#", "*", "7", "#Recycling", "@council", "exampleshire.gov.uk",
    LINK, "http://a.co/x?y=1", "日本語", "😷", "👩‍👩‍👧", "#️⃣", "1\u20e3",
    "©", "™", "\ufe0f", "\u200d", "🇬🇧", "\u202a", "Ⓜ", "↔", "ÿ",
]


def texts(max_pieces: int = 40):
    """Texts of up to ``max_pieces`` of :data:`PIECES`."""
    return st.lists(st.sampled_from(PIECES), max_size=max_pieces).map("".join)
