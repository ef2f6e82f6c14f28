from django.apps import AppConfig


class ProspectsConfig(AppConfig):
    name = "tandem.prospects"
    label = "prospects"
    verbose_name = "Prospects investisseurs"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from tandem.land.models import Friche, Site, Terrain
        from tandem.prospects.candidates import land_changed

        for model in (Terrain, Site, Friche):
            uid = f"prospects-cache-{model.__name__}"
            post_save.connect(land_changed, sender=model, weak=False, dispatch_uid=f"{uid}-save")
            post_delete.connect(land_changed, sender=model, weak=False, dispatch_uid=f"{uid}-delete")
            m2m_changed.connect(
                land_changed, sender=model.shared_with.through, weak=False, dispatch_uid=f"{uid}-m2m"
            )
