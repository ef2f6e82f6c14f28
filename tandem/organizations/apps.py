from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "tandem.organizations"
    label = "organizations"
    verbose_name = "Organisations et droits"
