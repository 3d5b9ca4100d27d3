from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Social publishing"

    def ready(self):
        from django.core.signals import request_finished
        from django.db.models.signals import pre_delete
        from wagtail.signals import page_published, page_unpublished

        from . import (
            after_response,
            checks,  # noqa: F401 - registers itself
            signals,
        )

        page_published.connect(signals.page_published, dispatch_uid="crosspost-pub")
        page_unpublished.connect(
            signals.page_unpublished, dispatch_uid="crosspost-unpub"
        )
        pre_delete.connect(signals.page_deleted, dispatch_uid="crosspost-delete")
        request_finished.connect(
            after_response.send_held, dispatch_uid="crosspost-send-held"
        )
