from django.apps import AppConfig


class WwwConfig(AppConfig):
    name = "tandem.www"
    label = "www"
    verbose_name = "Interface web"
