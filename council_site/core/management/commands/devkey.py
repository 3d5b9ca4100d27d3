"""Write a local token-encryption key on first run, so ``make run`` needs no setup.

The key lives in ``var/`` (git-ignored) and is read by settings/dev.py. Production
reads TOKEN_ENCRYPTION_KEY from the environment instead.
"""

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create var/token_encryption.key for local development if it is missing."

    def handle(self, *args, **options):
        key_file = settings.VAR_DIR / "token_encryption.key"
        if key_file.exists():
            return
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_bytes(Fernet.generate_key())
        key_file.chmod(0o600)
        self.stdout.write(f"Created a local token encryption key in {key_file}.")
