from django.apps import AppConfig


class LandConfig(AppConfig):
    name = "tandem.land"
    label = "land"
    verbose_name = "Foncier économique"
