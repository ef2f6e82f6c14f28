"""Forms of the steering pages (French labels; the rules stay in tandem.steering)."""

from django import forms

from tandem.organizations.models import Delegation, Organization
from tandem.steering import registry
from tandem.steering.models import Convention


class DateInput(forms.DateInput):
    input_type = "date"


class ConventionForm(forms.Form):
    title = forms.CharField(label="Intitulé", max_length=200)
    kind = forms.ChoiceField(label="Type", choices=Convention.Kind.choices)
    partner = forms.ModelChoiceField(label="Organisation partenaire", queryset=Organization.objects.none())
    territory = forms.ChoiceField(label="Territoire suivi (indicateurs et objectifs)")
    starts_on = forms.DateField(label="Début", widget=DateInput)
    ends_on = forms.DateField(label="Fin", widget=DateInput)
    signed_on = forms.DateField(label="Signée le", required=False, widget=DateInput)
    region_amount_eur = forms.DecimalField(label="Montant de la Région (€)", required=False, min_value=0)
    partner_amount_eur = forms.DecimalField(label="Montant du partenaire (€)", required=False, min_value=0)
    aids = forms.CharField(label="Aides concernées", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    document = forms.FileField(label="Convention signée (PDF)", required=False)
    alert_days = forms.IntegerField(
        label="Alerte avant l'échéance (jours)", initial=90, min_value=0, max_value=730
    )
    renews = forms.ModelChoiceField(
        label="Renouvelle la convention", required=False, queryset=Convention.objects.none()
    )
    delegations = forms.ModelMultipleChoiceField(
        label="Délégations fondées sur la convention",
        required=False,
        queryset=Delegation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, partners, territories, conventions, delegations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
        self.fields["territory"].choices = territories
        self.fields["renews"].queryset = conventions
        self.fields["delegations"].queryset = delegations

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload and not upload.name.lower().endswith(".pdf"):
            raise forms.ValidationError("Un fichier PDF est attendu.")
        if upload and upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("Le document dépasse 20 Mo.")
        return upload

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "La fin précède le début.")
        return data


class ObjectiveForm(forms.Form):
    indicator = forms.ChoiceField(label="Indicateur")
    year = forms.IntegerField(label="Année", min_value=2000, max_value=2100)
    target = forms.FloatField(label="Cible")
    weight = forms.IntegerField(label="Pondération (%)", min_value=0, max_value=100, initial=100)

    def __init__(self, *args, territory=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [
            (i.code, f"{i.label} ({i.unit_label})" if i.unit_label else i.label)
            for i in registry.indicators(territory=territory)
        ]


class ReportCommentForm(forms.Form):
    comment = forms.CharField(
        label="Commentaire de l'organisation", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
