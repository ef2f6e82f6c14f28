from django import forms
from django.contrib.auth import get_user_model

from tandem.organizations.models import Membership, Organization
from tandem.prospects.models import Decision, Proposal, Prospect
from tandem.prospects.services import EDITABLE_FIELDS
from tandem.territories.models import Epci
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
    skills = forms.CharField(label="Métiers recherchés (codes FAP 2021 de l'enquête BMO)", required=False)

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else Organization.objects.none()

    def clean_upstream_naf(self):
        return split_codes(self.cleaned_data["upstream_naf"])

    def clean_downstream_naf(self):
        return split_codes(self.cleaned_data["downstream_naf"])

    def clean_skills(self):
        return split_codes(self.cleaned_data["skills"])

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
