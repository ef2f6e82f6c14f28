from django.apps import AppConfig


class DecarbonationConfig(AppConfig):
    name = "tandem.decarbonation"
    label = "decarbonation"
    verbose_name = "Décarbonation de l'industrie"
