"""Wagtail's ``publish_scheduled``, with each page on its own.

This app comes before Wagtail in ``INSTALLED_APPS``, so this command replaces
Wagtail's under the same name: cron jobs, beat (``publishing.tasks``) and anyone
who runs ``manage.py publish_scheduled`` get it. ``--dryrun`` is Wagtail's own.
A page that cannot be published or unpublished no longer stops the pages after
it (:mod:`publishing.scheduling`): each failure is named on stderr and in the
log, the rest are done, and the exit code is 1.
"""

from django.core.management.base import CommandError
from wagtail.management.commands import publish_scheduled

from publishing import scheduling
from publishing.views.wording import number_of


class Command(publish_scheduled.Command):
    help = (
        "Publish pages whose go-live time has passed and unpublish expired ones, "
        "each on its own: one that fails is reported and does not stop the rest."
    )

    def handle(self, *args, **options):
        if options["dryrun"]:
            return super().handle(*args, **options)
        failures = scheduling.unpublish_expired() + scheduling.publish_due()
        for failure in failures:
            self.stderr.write(f"Could not {failure}")
        if failures:
            raise CommandError(
                f"{number_of(len(failures), 'scheduled change')} failed; the others "
                "were made."
            )
        return None
