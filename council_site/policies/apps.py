from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "council_site.policies"
    label = "policies"
