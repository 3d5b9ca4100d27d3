from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "council_site.news"
    label = "news"
