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


class GeneratedFile(TimeStampedModel):
    """A file generated in the job worker for one user (an export or a PDF over the size served at once,
    `tandem.core.files`): its progress, then the stored file, downloadable by its requester only until it
    expires. The permission layer is applied at generation time, as the requester stands then."""

    class Status(models.TextChoices):
        PENDING = "pending", "en attente"
        RUNNING = "running", "en cours"
        DONE = "done", "prêt"
        FAILED = "failed", "échec"
        CANCELLED = "cancelled", "annulé"
        EXPIRED = "expired", "expiré"

    FINISHED = frozenset({Status.DONE, Status.FAILED, Status.CANCELLED, Status.EXPIRED})

    kind = models.CharField("type", max_length=50)
    label = models.CharField("fichier demandé", max_length=255)
    params = models.JSONField("paramètres", default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="demandé par", on_delete=models.CASCADE, related_name="+"
    )
    actor_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name="organisation du demandeur",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PENDING)
    progress_percent = models.PositiveSmallIntegerField("avancement (%)", default=0)
    progress_label = models.CharField("étape en cours", max_length=200, blank=True)
    file_name = models.CharField("nom du fichier", max_length=255)
    content_type = models.CharField("type de contenu", max_length=100)
    storage_name = models.CharField("fichier stocké", max_length=500, blank=True)
    size_bytes = models.BigIntegerField("taille (octets)", default=0)
    job_id = models.BigIntegerField("tâche de fond", null=True, blank=True, editable=False)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    expires_at = models.DateTimeField("expire le", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "fichier généré"
        verbose_name_plural = "fichiers générés"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED
