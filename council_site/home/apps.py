from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "council_site.home"
    label = "home"
