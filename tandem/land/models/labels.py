"""Label workflow: an EPCI proposes a zone, the Region labels it (STAR'EST) or refuses, with a decision record."""

from django.conf import settings
from django.db import models

from tandem.core.models import TimeStampedModel

PENDING_PROPOSAL_MESSAGE = "Une proposition pour ce label est déjà en attente de décision de la Région."


class LabelDecision(TimeStampedModel):
    class Label(models.TextChoices):
        STAREST = "starest", "STAR'EST"
        CLE_EN_MAIN_F2030 = "cle_en_main_f2030", "site clé en main France 2030"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "proposé"
        LABELLED = "labelled", "labellisé"
        REFUSED = "refused", "refusé"
        WITHDRAWN = "withdrawn", "retiré"

    site = models.ForeignKey(
        "land.Site", verbose_name="site économique", on_delete=models.CASCADE, related_name="label_decisions"
    )
    label = models.CharField("label", max_length=20, choices=Label.choices, default=Label.STAREST)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name="proposé par (organisation)",
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="proposé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    proposed_on = models.DateField("proposé le")
    proposal_text = models.TextField("argumentaire de la proposition", blank=True)
    decided_by_org = models.ForeignKey(
        "organizations.Organization",
        verbose_name="décidé par (organisation)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="décidé par",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_on = models.DateField("décidé le", null=True, blank=True)
    decision_text = models.TextField("texte de la décision", blank=True)
    valid_until = models.DateField("label valable jusqu'au", null=True, blank=True)
    sector_priorities = models.JSONField("filières prioritaires", default=list, blank=True)

    class Meta:
        verbose_name = "décision de labellisation"
        verbose_name_plural = "décisions de labellisation"
        ordering = ["-proposed_on", "-id"]
        constraints = [
            # At most one proposal awaiting the Région's decision per site and label, even when proposals
            # race (label_propose also locks the site to answer in French before reaching this).
            models.UniqueConstraint(
                fields=["site", "label"],
                condition=models.Q(status="proposed"),
                name="land_label_one_pending_proposal",
                violation_error_message=PENDING_PROPOSAL_MESSAGE,
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_label_display()} — {self.site} ({self.get_status_display()})"
