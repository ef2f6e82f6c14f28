from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person. Platform administrators are superusers; everything else comes from memberships."""

    class EmailFrequency(models.TextChoices):
        IMMEDIATE = "immediate", "à chaque événement"
        DAILY = "daily", "un résumé par jour"

    job_title = models.CharField("fonction", max_length=150, blank=True)
    email_frequency = models.CharField(
        "envoi des courriels de notification",
        max_length=10,
        choices=EmailFrequency.choices,
        default=EmailFrequency.IMMEDIATE,
    )

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_platform_admin(self) -> bool:
        return self.is_active and self.is_superuser


class DigestItem(models.Model):
    """A notification kept for the daily digest of a user who chose « un résumé par jour »."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="digest_items")
    subject = models.CharField("objet", max_length=300)
    body = models.TextField("texte")
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    sent_at = models.DateTimeField("envoyée le", null=True, blank=True)

    class Meta:
        verbose_name = "notification en attente du résumé quotidien"
        verbose_name_plural = "notifications en attente du résumé quotidien"
        ordering = ["user", "created_at", "pk"]
        indexes = [models.Index(fields=["sent_at", "user"])]

    def __str__(self) -> str:
        return self.subject
