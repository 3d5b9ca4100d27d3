from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "council_site.core"
    label = "core"
    verbose_name = "Council site"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from wagtail.signals import page_published, page_unpublished

        from .cache import content_changed, forget_fragments
        from .slugs import register_slug_input

        register_slug_input()

        # Anything a visitor can see changes: rebuild the cached fragments.
        page_published.connect(forget_fragments, dispatch_uid="fragments-publish")
        page_unpublished.connect(forget_fragments, dispatch_uid="fragments-unpub")
        # No sender: a page is saved under its own class (HomePage, PolicyPage...).
        post_save.connect(content_changed, dispatch_uid="fragments-save")
        post_delete.connect(content_changed, dispatch_uid="fragments-delete")
