"""Shared project reviews (revues de projets) of an EPCI or a Maison de Région area: an agenda built from the
data, minutes, decisions and actions carried forward to the next review."""

from django.conf import settings
from django.db import models

from tandem.companies.models.registry import Company, Establishment
from tandem.organizations.models import Organization, SharedObject


class ProjectReview(SharedObject):
    """One review meeting for an area: a `Perimeter` or an organisation's perimeter."""

    area_perimeter = models.ForeignKey(
        "territories.Perimeter",
        verbose_name="périmètre",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    area_organization = models.ForeignKey(
        Organization,
        verbose_name="périmètre de l'organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField("intitulé", max_length=200)
    held_on = models.DateField("date de la revue", db_index=True)
    stall_days = models.PositiveIntegerField(
        "délai au-delà duquel une étape est bloquée (jours)", default=120
    )
    previous = models.ForeignKey(
        "self",
        verbose_name="revue précédente",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    since = models.DateField("nouveautés depuis le")
    minutes = models.TextField("compte rendu", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "revue de projets"
        verbose_name_plural = "revues de projets"
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(area_perimeter__isnull=False) | models.Q(area_organization__isnull=False),
                name="review_has_an_area",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%d/%m/%Y})"

    @property
    def area_label(self) -> str:
        return str(self.area_perimeter or self.area_organization)


class AgendaRule(models.TextChoices):
    NEED_PAST_DUE = "need_past_due", "besoins en retard"
    SIGNAL_OPEN = "signal_open", "signaux de fragilité ouverts"
    PARCOURS_STALLED = "parcours_stalled", "étapes du Parcours bloquées"
    LAND_UNANSWERED = "land_unanswered", "besoins de foncier ou de locaux sans réponse"
    ESTABLISHMENT_CREATED = "establishment_created", "établissements créés depuis la dernière revue"
    ESTABLISHMENT_CLOSED = "establishment_closed", "établissements fermés depuis la dernière revue"
    CARRIED_ACTION = "carried_action", "actions reportées de la revue précédente"


class ReviewAgendaItem(models.Model):
    """One line of the agenda, selected from the data when the review was prepared: a reference to the object
    (`object_type`, `object_id`), never a copy of its text. Its label is built when the agenda is read, for
    that reader and from what they may see (`tandem.companies.reviews.review_agenda_for`)."""

    review = models.ForeignKey(ProjectReview, on_delete=models.CASCADE, related_name="agenda")
    rule = models.CharField("règle", max_length=30, choices=AgendaRule.choices)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    establishment = models.ForeignKey(
        Establishment, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    on = models.DateField("date", null=True, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=20, blank=True)

    class Meta:
        verbose_name = "point de l'ordre du jour"
        ordering = ["review", "rule", "company_id", "id"]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} : {self.object_type} {self.object_id}"


class ReviewDecision(models.Model):
    review = models.ForeignKey(ProjectReview, on_delete=models.CASCADE, related_name="decisions")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField("décision")

    class Meta:
        verbose_name = "décision"
        ordering = ["review", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class ReviewAction(models.Model):
    """An action decided in a review; unfinished, it is carried forward to the next review of the area."""

    review = models.ForeignKey(ProjectReview, on_delete=models.CASCADE, related_name="actions")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField("action", max_length=255)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsable",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee_organization = models.ForeignKey(
        Organization,
        verbose_name="organisation responsable",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_on = models.DateField("échéance", null=True, blank=True)
    done_on = models.DateField("faite le", null=True, blank=True)
    carried_from = models.ForeignKey(
        "self", verbose_name="reportée de", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "action"
        ordering = ["review", "due_on", "id"]

    def __str__(self) -> str:
        return self.text


__all__ = ["AgendaRule", "ProjectReview", "ReviewAction", "ReviewAgendaItem", "ReviewDecision"]
