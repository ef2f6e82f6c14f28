from django.apps import AppConfig


class EitConfig(AppConfig):
    name = "tandem.eit"
    label = "eit"
    verbose_name = "Écologie industrielle et territoriale"
