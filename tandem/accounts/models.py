from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person. Platform administrators are superusers; everything else comes from memberships."""

    job_title = models.CharField("fonction", max_length=150, blank=True)

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_platform_admin(self) -> bool:
        return self.is_active and self.is_superuser
