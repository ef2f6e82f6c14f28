from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "tandem.territories"
    label = "territories"
    verbose_name = "Géographie officielle"
