from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "council_site.core"
    label = "core"
    verbose_name = "Council site"
