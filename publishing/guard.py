"""The council's online protocol guidelines, made enforceable.

A finding holds the row for a comms manager's approval.
"""

from __future__ import annotations

from channels.base import Post


def check_post(post: Post, page) -> list[dict]:
    """Findings for the post's text and media; empty when it may go straight out."""
    findings = []
    for image in post.images:
        if not image.alt_text.strip():
            findings.append(
                {
                    "rule": "alt_text",
                    "message": "An image has no alt text.",
                    "match": "",
                }
            )
    return findings
