from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "tandem.organizations"
    label = "organizations"
    verbose_name = "Organisations et droits"

    def ready(self):
        from django.db.models.signals import post_migrate

        from tandem.organizations.versions import install_triggers

        post_migrate.connect(install_triggers, sender=self, dispatch_uid="tandem-visibility-version-triggers")
