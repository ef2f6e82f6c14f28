from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "tandem.catalogue"
    label = "catalogue"
    verbose_name = "Catalogue des dispositifs et opérateurs"
