"""Forms of the industrial ecology pages (French labels; rules stay in tandem.eit)."""

from django import forms
from django.utils import timezone

from tandem.eit.models import Synergy
from tandem.imports.limits import check_upload, import_limits
from tandem.organizations.models import Organization


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(label="Organisation", queryset=Organization.objects.none())

    def __init__(self, *args, owners=None, current_org_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else Organization.objects.none()
        if current_org_id and owners is not None and owners.filter(pk=current_org_id).exists():
            self.fields["owner"].initial = current_org_id


class FlowImportForm(OwnerForm):
    file = forms.FileField(label="Fiche atelier (CSV ou XLSX, une ligne par flux)")
    dry_run = forms.BooleanField(label="Simulation (vérifier sans rien enregistrer)", required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt", ".xlsx")):
            raise forms.ValidationError("Fichier CSV ou XLSX attendu.")
        check_upload(upload.name, upload.size, import_limits())
        return upload


class SynergyCreateForm(OwnerForm):
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class StageMoveForm(forms.Form):
    stage = forms.ChoiceField(label="Nouvelle étape", choices=Synergy.Stage.choices)
    on = forms.DateField(label="Date", initial=timezone.localdate)
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AgreementForm(forms.Form):
    side = forms.ChoiceField(
        label="Entreprise", choices=[("supplier", "fournisseur"), ("receiver", "receveur")]
    )
    on = forms.DateField(label="Accord donné le", required=False, help_text="Vide : retirer l'accord.")


class YearForm(forms.Form):
    year = forms.IntegerField(label="Année", min_value=1990, max_value=2100)
    quantity = forms.FloatField(label="Quantité échangée", min_value=0)
    co2e_t = forms.FloatField(
        label="CO2e évité (t)", required=False, help_text="Vide : estimation de la détection au prorata."
    )
