"""Cross-posting records. Nothing here lives on the Page row: publishing rebuilds
pages from revisions and would overwrite it."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker answered, so a stopped worker is visible
    on the dashboard instead of failing silently."""

    hostname = models.CharField(max_length=200, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%H:%M:%S}"
