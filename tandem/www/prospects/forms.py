from django import forms
from django.contrib.auth import get_user_model

from tandem.organizations.models import Membership, Organization
from tandem.prospects.models import Decision, Proposal, Prospect
from tandem.prospects.services import EDITABLE_FIELDS, prospect_field_errors
from tandem.skills.jobs import FAP_CODE
from tandem.territories.models import Epci
from tandem.www.companies.forms import JobField
from tandem.www.forms import split_codes


class ProspectForm(forms.ModelForm):
    owner = forms.ModelChoiceField(
        label="Organisation (porteuse du dossier)", queryset=Organization.objects.none()
    )
    preferred_epcis_codes = forms.CharField(
        label="Territoires souhaités (SIREN d'EPCI)",
        required=False,
        help_text="séparés par des espaces ou des virgules",
    )

    class Meta:
        model = Prospect
        fields = [
            "owner",
            *(
                f
                for f in EDITABLE_FIELDS
                if f not in ("single_piece", "weights", "skills", "upstream_naf", "downstream_naf")
            ),
        ]
        widgets = {
            "activity": forms.Textarea(attrs={"rows": 2}),
            "decision_on": forms.DateInput(attrs={"type": "date"}),
            "works_start_on": forms.DateInput(attrs={"type": "date"}),
            "production_start_on": forms.DateInput(attrs={"type": "date"}),
        }

    upstream_naf = forms.CharField(label="Codes NAF des fournisseurs (amont)", required=False)
    downstream_naf = forms.CharField(label="Codes NAF des clients (aval)", required=False)
    skills = JobField(
        label="Métiers recherchés (intitulés ou codes ROME / FAP 2021, séparés par « ; »)",
        required=False,
        separator=";",
        max_length=2000,
    )

    # The 36 fields in groups a chargé d'affaires recognises (the template draws one fieldset per group).
    GROUPS = (
        ("Le projet", ("owner", "code_name", "naf", "activity", "origin", "is_relocation", "plan_500")),
        ("Terrain ou bâtiment", ("surface_min_ha", "surface_ideal_ha", "extension_margin_ha", "premises")),
        ("Réseaux", ("power_mw", "gas", "water_m3h", "water_m3d", "wastewater_m3d")),
        (
            "Accès",
            (
                "rail_required",
                "waterway_required",
                "port_required",
                "max_motorway_km",
                "max_station_km",
                "max_airport_km",
            ),
        ),
        ("Réglementation et fonctionnement", ("icpe_regime", "seveso", "continuous_operation")),
        (
            "Emplois et investissement",
            ("jobs_at_start", "jobs_at_three_years", "investment_eur", "public_aid_eur"),
        ),
        ("Calendrier", ("decision_on", "works_start_on", "production_start_on")),
        ("Territoires et filière", ("preferred_epcis_codes", "upstream_naf", "downstream_naf", "skills")),
    )

    def __init__(self, *args, owners=None, current_org_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        owners = owners if owners is not None else Organization.objects.none()
        self.fields["owner"].queryset = owners
        # Preselect the owner: the only one possible, else the organisation the user is working for.
        ids = list(owners.values_list("pk", flat=True))
        if len(ids) == 1:
            self.fields["owner"].initial = ids[0]
        elif current_org_id in ids:
            self.fields["owner"].initial = current_org_id

    def fieldsets(self):
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def clean(self):
        """Every error at once, next to its field, with the field's French label (one rule: the services')."""
        cleaned = super().clean()
        for name, messages in prospect_field_errors(cleaned).items():
            if name not in self.errors:
                for message in messages:
                    self.add_error(name, message)
        return cleaned

    def clean_upstream_naf(self):
        return split_codes(self.cleaned_data["upstream_naf"])

    def clean_downstream_naf(self):
        return split_codes(self.cleaned_data["downstream_naf"])

    def clean_skills(self):
        """Codes separated by spaces or commas, or entries (job titles, picked suggestions) separated by « ; »;
        the prospects service resolves each title to ROME (`skills.jobs.job_resolve`)."""
        text = self.cleaned_data["skills"] or ""
        codes = split_codes(text)
        if all(FAP_CODE.match(c.upper()) for c in codes):
            return codes
        return [e.strip() for e in text.replace("\n", ";").split(";") if e.strip()]

    def clean_preferred_epcis_codes(self):
        codes = split_codes(self.cleaned_data["preferred_epcis_codes"])
        epcis = list(Epci.objects.filter(pk__in=codes))
        missing = set(codes) - {e.pk for e in epcis}
        if missing:
            raise forms.ValidationError(f"EPCI inconnus : {', '.join(sorted(missing))}")
        return epcis


SHAREABLE_KINDS = [Organization.Kind.EPCI, Organization.Kind.AGENCE, Organization.Kind.MAISON_REGION]


class MemberChoiceField(forms.ModelMultipleChoiceField):
    """People listed by name and organisation, never by login."""

    orgs_of: dict[int, list[str]] = {}

    def label_from_instance(self, user):
        name = user.get_full_name() or user.username
        return f"{name} — {', '.join(sorted(self.orgs_of.get(user.pk, [])))}"


class ShareForm(forms.Form):
    organizations = forms.ModelMultipleChoiceField(
        label="Organisations (EPCI, agences, Maisons de Région)",
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Cochez au moins une organisation."},
    )
    members = MemberChoiceField(
        label="Personnes ajoutées à la task force",
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="chacune doit appartenir à une organisation cochée",
        error_messages={"required": "Désignez au moins une personne."},
    )

    def __init__(self, *args, prospect=None, **kwargs):
        super().__init__(*args, **kwargs)
        organizations = Organization.objects.filter(kind__in=SHAREABLE_KINDS).order_by("name")
        self.fields["organizations"].queryset = organizations
        # Members of the organisations the prospect may be shared with, not yet in its task force.
        memberships = (
            Membership.objects.filter(organization__in=organizations, user__is_active=True)
            .select_related("organization")
            .order_by("organization__name")
        )
        orgs_of: dict[int, list[str]] = {}
        for m in memberships:
            orgs_of.setdefault(m.user_id, []).append(m.organization.name)
        users = get_user_model().objects.filter(pk__in=orgs_of)
        if prospect is not None:
            users = users.exclude(pk__in=prospect.members.values("pk"))
        users = users.order_by("last_name", "first_name", "username")
        self.fields["members"].queryset = users
        self.fields["members"].orgs_of = orgs_of


class ProposalForm(forms.Form):
    organization = forms.ModelChoiceField(label="Au nom de", queryset=Organization.objects.none())
    kind = forms.ChoiceField(label="Type", choices=Proposal.Kind.choices)
    object_id = forms.IntegerField(label="Identifiant", min_value=1)
    comment = forms.CharField(label="Commentaire", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    conditions = forms.CharField(label="Conditions", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = (
            organizations if organizations is not None else Organization.objects.none()
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Nouveau statut", choices=Prospect.Status.choices)
    comment = forms.CharField(label="Commentaire", required=False, max_length=2000)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label="Décision", choices=Decision.Outcome.choices)
    reason = forms.CharField(label="Motifs", widget=forms.Textarea(attrs={"rows": 2}))
