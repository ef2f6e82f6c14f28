from django.apps import AppConfig


class SteeringConfig(AppConfig):
    name = "tandem.steering"
    label = "steering"
    verbose_name = "pilotage"

    def ready(self) -> None:
        # Every installed app's `indicators.py` declares its indicators at import (`registry.indicator`).
        from tandem.steering.registry import discover

        discover()
