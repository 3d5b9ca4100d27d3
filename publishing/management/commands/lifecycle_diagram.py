"""Print the cross-post lifecycle table as a Mermaid state diagram, or write it
into the README (``--write``), where a test keeps it equal to the table."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from publishing.lifecycle import mermaid

FENCE = "```mermaid\n"


class Command(BaseCommand):
    help = "Print the cross-post lifecycle as a Mermaid diagram (--write: README)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--write",
            action="store_true",
            help="Replace the README's diagram with the table's.",
        )

    def handle(self, *args, write: bool = False, **options):
        diagram = mermaid()
        if not write:
            self.stdout.write(diagram, ending="")
            return
        readme = Path(settings.BASE_DIR) / "README.md"
        text = readme.read_text()
        if FENCE not in text:
            raise CommandError(f"{readme} has no ```mermaid block to replace.")
        start = text.index(FENCE) + len(FENCE)
        end = text.index("```", start)
        readme.write_text(text[:start] + diagram + text[end:])
        self.stdout.write(f"Wrote the lifecycle diagram into {readme}.")
