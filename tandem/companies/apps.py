from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "tandem.companies"
    label = "companies"
    verbose_name = "Entreprises"
