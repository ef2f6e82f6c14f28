import re
from pathlib import Path

from django import forms

from tandem.core.errors import UserError
from tandem.imports.limits import check_upload, import_limits
from tandem.organizations.models import Delegation, Organization, Visibility
from tandem.territories.models import Perimeter


def split_codes(text: str) -> list[str]:
    return [c for c in re.split(r"[\s,;]+", text or "") if c]


class PerimeterForm(forms.Form):
    owner = forms.ModelChoiceField(label="Organisation propriétaire", queryset=Organization.objects.none())
    name = forms.CharField(label="Nom", max_length=200)
    kind = forms.ChoiceField(label="Type", choices=Perimeter.Kind.choices)
    code = forms.CharField(label="Code", max_length=50, required=False)
    visibility = forms.ChoiceField(label="Visibilité", choices=Visibility.choices, initial=Visibility.PRIVATE)
    members = forms.CharField(
        label="Membres",
        help_text="Codes INSEE de communes ou SIREN d'EPCI, séparés par des espaces, virgules ou retours à la ligne.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else Organization.objects.none()

    def clean_members(self):
        codes = split_codes(self.cleaned_data["members"])
        bad = [c for c in codes if not re.match(r"^(\d{9}|\d[\dAB]\d{3})$", c)]
        if bad:
            raise forms.ValidationError(f"Codes invalides : {', '.join(bad[:10])}")
        if not codes:
            raise forms.ValidationError("Indiquez au moins une commune ou un EPCI.")
        return codes


class PerimeterImportForm(forms.Form):
    owner = forms.ModelChoiceField(label="Organisation propriétaire", queryset=Organization.objects.none())
    kind = forms.ChoiceField(label="Type", choices=Perimeter.Kind.choices)
    visibility = forms.ChoiceField(label="Visibilité", choices=Visibility.choices, initial=Visibility.NETWORK)
    file = forms.FileField(label="Fichier CSV ou GeoJSON")
    dry_run = forms.BooleanField(label="Simulation : contrôler et compter sans rien écrire", required=False)

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else Organization.objects.none()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_upload(Path(upload.name or "").name, upload.size, import_limits())
        except UserError as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload


class DelegationForm(forms.Form):
    delegator = forms.ModelChoiceField(label="EPCI délégant", queryset=Organization.objects.none())
    delegate = forms.ModelChoiceField(
        label="Délégataire",
        queryset=Organization.objects.filter(
            kind__in=[Organization.Kind.AGENCE, Organization.Kind.MAISON_REGION]
        ),
    )
    scope = forms.ChoiceField(label="Portée", choices=Delegation.Scope.choices)
    communes = forms.CharField(
        label="Communes couvertes",
        required=False,
        help_text="Codes INSEE ; laisser vide pour tout le périmètre de l'EPCI.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    starts_on = forms.DateField(label="Début", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Fin", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, delegators=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegator"].queryset = (
            delegators if delegators is not None else Organization.objects.none()
        )
