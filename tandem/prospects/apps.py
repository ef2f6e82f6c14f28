from django.apps import AppConfig


class ProspectsConfig(AppConfig):
    name = "tandem.prospects"
    label = "prospects"
    verbose_name = "Prospects investisseurs"
