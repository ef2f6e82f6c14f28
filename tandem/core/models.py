from django.conf import settings
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """Who did what, from which organisation, when: every write and every read of a confidential object."""

    class Action(models.TextChoices):
        CREATE = "create", "création"
        UPDATE = "update", "modification"
        DELETE = "delete", "suppression"
        READ = "read", "consultation (objet confidentiel)"
        EXPORT = "export", "export"
        IMPORT = "import", "import"
        ADMIN = "admin", "administration"

    at = models.DateTimeField("date", default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="utilisateur", null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField("identifiant", max_length=150, blank=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name="organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    # The organisation that owns the object, when it is not the actor's: an agency's change to an EPCI's
    # perimeter is in both journals.
    owner_organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name="organisation propriétaire de l'objet",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_audit_events",
    )
    action = models.CharField("action", max_length=10, choices=Action.choices)
    object_type = models.CharField("type d'objet", max_length=100)
    object_id = models.CharField("identifiant de l'objet", max_length=64, blank=True)
    object_repr = models.CharField("objet", max_length=255, blank=True)
    details = models.JSONField("détails", default=dict, blank=True)

    class Meta:
        verbose_name = "événement du journal d'audit"
        verbose_name_plural = "journal d'audit"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-at"]),
            models.Index(fields=["owner_organization", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_action_display()} {self.object_repr}"
