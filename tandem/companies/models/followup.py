"""Follow-up of a company by the network: référents, co-advisors and experts (with the dated history of
handovers), contacts, exchanges, needs, reminders and company projects.

Every follow-up object is a `SharedObject` owned by the organisation of the person who wrote it and placed in
a commune (`COMMUNE_FIELD`), so that perimeters and delegations apply. Notes are private to the writer's
organisation unless shared; the timeline still shows other organisations' exchanges as « échange avec … le … »
(see `tandem.companies.perms`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tandem.companies.models.registry import Company
from tandem.organizations.models import Organization, SharedObject


class CompanyFollowUp(SharedObject):
    """Abstract base of what an organisation records about a company."""

    COMMUNE_FIELD = "commune"

    company = models.ForeignKey(
        Company, verbose_name="entreprise", on_delete=models.CASCADE, related_name="+"
    )
    commune = models.ForeignKey(
        "territories.Commune",
        verbose_name="commune",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="saisi par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class CompanyAdvisor(CompanyFollowUp):
    """A person following a company in a role, from a date until a handover (`ended_on`)."""

    class Role(models.TextChoices):
        REFERENT = "referent", "référent de proximité"
        CO_ADVISOR = "co_advisor", "co-conseiller"
        EXPERT = "expert", "expert"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="personne", on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, verbose_name="organisation de la personne", on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    expertise = models.CharField("domaine d'expertise", max_length=120, blank=True)
    started_on = models.DateField("depuis le")
    ended_on = models.DateField("jusqu'au", null=True, blank=True)
    handover_note = models.CharField("motif de la passation", max_length=255, blank=True)

    class Meta:
        verbose_name = "conseiller de l'entreprise"
        verbose_name_plural = "conseillers des entreprises"
        ordering = ["company", "-started_on", "-id"]
        constraints = [
            # « Pour chaque entreprise, une personne nommée » : one current référent, guaranteed by the database.
            models.UniqueConstraint(
                fields=["company"],
                condition=Q(role="referent", ended_on__isnull=True),
                name="one_current_referent_per_company",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="advisor_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} de {self.company_id}"


class Contact(CompanyFollowUp):
    """A person at the company. Personal data: kept with its purpose and source, deleted for real on request."""

    class Source(models.TextChoices):
        MEETING = "meeting", "rencontre"
        COMPANY = "company", "communiqué par l'entreprise"
        WEBSITE = "website", "site de l'entreprise"
        PARTNER = "partner", "transmis par un partenaire"
        OTHER = "other", "autre"

    full_name = models.CharField("nom et prénom", max_length=150)
    job_title = models.CharField("fonction", max_length=150, blank=True)
    email = models.EmailField("courriel", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    purpose = models.CharField("finalité (pourquoi ce contact est conservé)", max_length=255)
    source = models.CharField("source", max_length=20, choices=Source.choices)

    class Meta:
        verbose_name = "contact"
        ordering = ["company", "full_name"]

    def __str__(self) -> str:
        # No personal data here: this text is copied into the audit log.
        return f"contact n° {self.pk} de {self.company_id}"


class Exchange(CompanyFollowUp):
    """A meeting, call, visit or e-mail with the company. Its notes are private to its owner unless shared."""

    class Kind(models.TextChoices):
        MEETING = "meeting", "rendez-vous"
        CALL = "call", "appel"
        VISIT = "visit", "visite"
        EMAIL = "email", "courriel"

    kind = models.CharField("type", max_length=10, choices=Kind.choices)
    happened_on = models.DateField("date", db_index=True)
    topic = models.CharField("sujet", max_length=200)
    notes = models.TextField("notes", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "échange"
        ordering = ["-happened_on", "-id"]
        indexes = [models.Index(fields=["company", "-happened_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} avec {self.company_id} le {self.happened_on:%d/%m/%Y}"


class Need(CompanyFollowUp):
    """A need expressed by the company, owned by an advisor, with a due date."""

    class Topic(models.TextChoices):
        FINANCING = "financing", "financement"
        LAND = "land", "foncier, immobilier"
        RECRUITMENT = "recruitment", "recrutement, compétences"
        INNOVATION = "innovation", "innovation, numérique"
        EXPORT = "export", "export, international"
        ENVIRONMENT = "environment", "transition écologique, énergie"
        SUCCESSION = "succession", "transmission"
        OTHER = "other", "autre"

    class Status(models.TextChoices):
        OPEN = "open", "ouvert"
        IN_PROGRESS = "in_progress", "en cours"
        DONE = "done", "traité"
        DROPPED = "dropped", "abandonné"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    topic = models.CharField("thème", max_length=20, choices=Topic.choices)
    title = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", blank=True)
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsable",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_on = models.DateField("échéance", null=True, blank=True)
    closed_on = models.DateField("clos le", null=True, blank=True)

    class Meta:
        verbose_name = "besoin"
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.company_id})"

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in self.OPEN_STATUSES
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )


class Reminder(CompanyFollowUp):
    """A dated reminder for an advisor, optionally about a need."""

    need = models.ForeignKey(Need, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="pour", on_delete=models.CASCADE, related_name="+"
    )
    remind_on = models.DateField("date du rappel", db_index=True)
    text = models.CharField("rappel", max_length=255)
    done_at = models.DateTimeField("fait le", null=True, blank=True)
    # Set by the daily e-mail of due reminders (`followup.reminders_notify`): each reminder is sent once.
    notified_at = models.DateTimeField("envoyé par courriel le", null=True, blank=True)

    class Meta:
        verbose_name = "rappel"
        ordering = ["remind_on", "id"]

    def __str__(self) -> str:
        return f"rappel du {self.remind_on:%d/%m/%Y} ({self.company_id})"


class CompanyProject(CompanyFollowUp):
    """A project of the company: investment, extension, recruitment, or a need for land or premises."""

    class Kind(models.TextChoices):
        INVESTMENT = "investment", "investissement"
        EXTENSION = "extension", "extension"
        RECRUITMENT = "recruitment", "recrutement"
        LAND = "land", "besoin de foncier"
        PREMISES = "premises", "besoin de locaux"

    class Status(models.TextChoices):
        OPEN = "open", "en cours"
        ANSWERED = "answered", "réponse apportée"
        DONE = "done", "réalisé"
        ABANDONED = "abandoned", "abandonné"

    LAND_KINDS = (Kind.LAND, Kind.PREMISES)

    kind = models.CharField("nature", max_length=20, choices=Kind.choices)
    title = models.CharField("intitulé", max_length=200)
    description = models.TextField("description", blank=True)
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.OPEN)
    amount_eur = models.DecimalField("montant (€)", max_digits=14, decimal_places=2, null=True, blank=True)
    jobs = models.PositiveIntegerField("emplois concernés", null=True, blank=True)
    # The job hired for, as typed (a job title or a code) and as resolved to a ROME code (or a FAP 2021 code
    # typed as such) by `tandem.skills.jobs.job_resolve`: read by the jobs-and-skills gaps (tandem.skills). A
    # title left unresolved keeps `job_code` empty and counts in the gaps as « métier non rattaché ».
    job_code = models.CharField(
        "métier recherché (code ROME ou FAP 2021)", max_length=5, blank=True, help_text="ex. H2913"
    )
    job_title = models.CharField("métier recherché (intitulé saisi)", max_length=250, blank=True)
    job_confidence = models.FloatField("confiance du rattachement au ROME", null=True, blank=True)
    # Set when the need was recorded by the skills step of the Parcours de Transformation (`parcours_hiring_need`).
    parcours_step = models.ForeignKey(
        "companies.ParcoursStep",
        verbose_name="étape du Parcours",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hiring_needs",
    )
    surface_needed_m2 = models.PositiveIntegerField("surface recherchée (m²)", null=True, blank=True)
    expected_on = models.DateField("échéance du projet", null=True, blank=True)
    answer = models.TextField("réponse apportée", blank=True)
    answered_on = models.DateField("répondu le", null=True, blank=True)
    # Set when a land search was opened for this need on the land inventory (the prospects matching engine).
    land_search_ref = models.CharField("recherche foncière", max_length=80, blank=True)

    class Meta:
        verbose_name = "projet d'entreprise"
        verbose_name_plural = "projets d'entreprises"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.company_id})"

    @property
    def job_display(self) -> str:
        """« Soudeur / Soudeuse à la flamme — H2913 Soudeur / Soudeuse », or the title typed « (métier non rattaché) »."""
        from tandem.skills.jobs import job_display  # skills reads this model: imported when shown

        return job_display(self.job_code, self.job_title) if (self.job_code or self.job_title) else ""


__all__ = [
    "CompanyAdvisor",
    "CompanyFollowUp",
    "CompanyProject",
    "Contact",
    "Exchange",
    "Need",
    "Reminder",
]
