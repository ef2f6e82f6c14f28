"""Organisations sharing one instance, their members and roles, delegations, and shareable objects."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tandem.core.models import TimeStampedModel
from tandem.organizations.scoping import ScopedManager, unscoped


class Organization(TimeStampedModel):
    class Kind(models.TextChoices):
        REGION = "region", "Région"
        EPCI = "epci", "EPCI"
        AGENCE = "agence", "agence de développement économique"
        MAISON_REGION = "maison_region", "Maison de Région"
        AGENCE_INVESTISSEMENT = "agence_investissement", "agence régionale d'investissement"
        OPERATEUR = "operateur", "opérateur"
        # DDT, DREAL: they produce departmental or regional inventories (friches) across several EPCI.
        ETAT = "etat", "service de l'État (DDT, DREAL)"

    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant", max_length=80, unique=True)
    kind = models.CharField("type", max_length=30, choices=Kind.choices)
    epci = models.OneToOneField(
        "territories.Epci",
        verbose_name="EPCI",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organization",
    )
    region = models.ForeignKey(
        "territories.Region", verbose_name="région", null=True, blank=True, on_delete=models.PROTECT
    )
    communes = models.ManyToManyField(
        "territories.Commune", verbose_name="périmètre (communes)", blank=True, related_name="organizations"
    )
    is_demo = models.BooleanField("donnée de démonstration (fictive)", default=False)

    class Meta:
        verbose_name = "organisation"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    LECTEUR = "lecteur", "lecteur"
    CONTRIBUTEUR = "contributeur", "contributeur"
    ADMIN = "admin", "administrateur de l'organisation"


ROLE_RANK = {Role.LECTEUR: 1, Role.CONTRIBUTEUR: 2, Role.ADMIN: 3}


class Membership(TimeStampedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("rôle", max_length=20, choices=Role.choices, default=Role.LECTEUR)
    # An « animateur EIT » (industrial and territorial ecology) reads the flows and synergies of the
    # establishments placed in the organisation's perimeter (`perms.facilitator_shared_q`).
    is_eit_facilitator = models.BooleanField("animateur EIT (écologie industrielle)", default=False)

    class Meta:
        verbose_name = "appartenance"
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} — {self.organization} ({self.get_role_display()})"


class Invitation(TimeStampedModel):
    """An organisation administrator invites an e-mail address. Whether an account has that address is never
    told to the administrator: the person sees the invitation when signed in and accepts it (or not); only
    then does a membership exist (docs/security.md, « account enumeration »)."""

    organization = models.ForeignKey(
        Organization, verbose_name="organisation", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField("adresse électronique")
    role = models.CharField("rôle", max_length=20, choices=Role.choices, default=Role.LECTEUR)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="invité par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "invitation"
        constraints = [models.UniqueConstraint(fields=["organization", "email"], name="unique_invitation")]

    def __str__(self) -> str:
        return f"{self.email} — {self.organization} ({self.get_role_display()})"


class DelegationQuerySet(models.QuerySet):
    def active(self, on=None):
        today = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, starts_on__lte=today).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=today)
        )


class Delegation(TimeStampedModel):
    """An EPCI lets an agency act in (part of) its perimeter, for a period, until revoked."""

    class Scope(models.TextChoices):
        READ = "read", "consultation"
        WRITE = "write", "consultation et modification"

    delegator = models.ForeignKey(
        Organization, verbose_name="EPCI délégant", on_delete=models.CASCADE, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        Organization,
        verbose_name="délégataire",
        on_delete=models.CASCADE,
        related_name="delegations_received",
    )
    scope = models.CharField("portée", max_length=10, choices=Scope.choices, default=Scope.WRITE)
    communes = models.ManyToManyField(
        "territories.Commune",
        verbose_name="communes couvertes (vide : tout le périmètre)",
        blank=True,
        related_name="+",
    )
    starts_on = models.DateField("début", default=timezone.localdate)
    ends_on = models.DateField("fin", null=True, blank=True)
    revoked_at = models.DateTimeField("révoquée le", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = "délégation"
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate}"


class Visibility(models.TextChoices):
    PRIVATE = "private", "organisation propriétaire"
    SHARED = "shared", "organisations désignées"
    REGION = "region", "partagé avec la Région"
    NETWORK = "network", "tout le réseau"


class SharedObject(TimeStampedModel):
    """Abstract base of every object owned by an organisation and governed by the permission layer.

    `commune` places the object in a territory: an EPCI writes its objects in its perimeter, an agency those
    covered by a delegation. A subclass with `CONFIDENTIAL = True` is seen only by its named `members`.
    """

    CONFIDENTIAL = False

    owner = models.ForeignKey(
        Organization, verbose_name="organisation propriétaire", on_delete=models.PROTECT, related_name="+"
    )
    visibility = models.CharField(
        "visibilité", max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    shared_with = models.ManyToManyField(
        Organization, verbose_name="partagé avec", blank=True, related_name="+"
    )

    # The default manager refuses queries that did not pass through the permission layer
    # (`tandem.organizations.scoping`); the base manager (forward foreign keys, cascades, saves) stays plain.
    objects = ScopedManager()

    class Meta:
        abstract = True

    # Uniqueness is data integrity, checked across every organisation's objects.
    def _perform_unique_checks(self, unique_checks):
        with unscoped():
            return super()._perform_unique_checks(unique_checks)

    def validate_constraints(self, exclude=None):
        with unscoped():
            return super().validate_constraints(exclude)


class VisibilityVersion(models.Model):
    """The version of one table for caches of what actors see, moved on by a trigger at every write
    (`tandem.organizations.versions`)."""

    table_name = models.CharField(max_length=100, primary_key=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "version de visibilité"

    def __str__(self) -> str:
        return f"{self.table_name} : {self.version}"
