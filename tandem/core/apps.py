from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tandem.core"
    label = "core"
    verbose_name = "Socle"

    def ready(self) -> None:
        from tandem.core.search import register_lookups

        register_lookups()
