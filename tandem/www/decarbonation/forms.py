"""Forms of the decarbonation pages (French labels; rules stay in tandem.decarbonation)."""

from django import forms
from django.utils import timezone

from tandem.decarbonation.models import Project
from tandem.decarbonation.selectors import TERRITORY_KINDS
from tandem.organizations.models import Organization, Visibility


class TerritoryForm(forms.Form):
    type = forms.ChoiceField(
        label="Type de territoire", choices=list(TERRITORY_KINDS.items()), required=False
    )
    code = forms.CharField(
        label="Code (INSEE, SIREN de l'EPCI, numéro du périmètre)", required=False, max_length=12
    )


class ProjectForm(forms.Form):
    owner = forms.ModelChoiceField(
        label="Organisation qui suit le projet", queryset=Organization.objects.none()
    )
    title = forms.CharField(label="Intitulé", max_length=200)
    lever = forms.ChoiceField(label="Levier", choices=Project.Lever.choices)
    status = forms.ChoiceField(label="État", choices=Project.Status.choices)
    expected_t_per_year = forms.FloatField(label="Émissions évitées attendues (tCO2e/an)", min_value=0)
    start_year = forms.IntegerField(label="Année de mise en service", min_value=2000, max_value=2100)
    investment_eur = forms.DecimalField(
        label="Investissement (€)", required=False, min_value=0, decimal_places=0
    )
    aid_requested_eur = forms.DecimalField(
        label="Aide demandée (€)", required=False, min_value=0, decimal_places=0
    )
    aid_granted_eur = forms.DecimalField(
        label="Aide accordée (€)", required=False, min_value=0, decimal_places=0
    )
    aid_scheme = forms.CharField(label="Dispositif d'aide", required=False, max_length=200)
    realised_t_per_year = forms.FloatField(
        label="Émissions évitées constatées (tCO2e/an)", required=False, min_value=0
    )
    visibility = forms.ChoiceField(label="Visibilité", choices=Visibility.choices, initial=Visibility.REGION)

    def __init__(self, *args, owners=None, current_org_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else Organization.objects.none()
        if current_org_id and owners is not None and owners.filter(pk=current_org_id).exists():
            self.fields["owner"].initial = current_org_id
        self.fields["start_year"].initial = timezone.localdate().year + 1
