from django import forms

from tandem.organizations.models import Organization
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


class ShareForm(forms.Form):
    organizations = forms.ModelMultipleChoiceField(
        label="Organisations (EPCI, agences)",
        queryset=Organization.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    members = forms.CharField(
        label="Personnes ajoutées à la task force",
        help_text="identifiants, séparés par des espaces ou des virgules ; chacune doit appartenir à une organisation cochée",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizations"].queryset = Organization.objects.filter(
            kind__in=[Organization.Kind.EPCI, Organization.Kind.AGENCE, Organization.Kind.MAISON_REGION]
        ).order_by("name")

    def clean_members(self):
        names = split_codes(self.cleaned_data["members"])
        if not names:
            raise forms.ValidationError("Désignez au moins une personne.")
        return names


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
