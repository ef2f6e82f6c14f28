from pathlib import Path

from django import forms

from tandem.core.errors import UserError
from tandem.imports.limits import check_upload, import_limits, size_text
from tandem.land.labels import LABEL_NAMES
from tandem.land.models import EXTENSIONS, LabelDecision
from tandem.land.standard import column
from tandem.organizations.models import Visibility


def _enum(table: str, name: str) -> list[tuple[str, str]]:
    return [("", "tous"), *[(v, v) for v in column(table, name).get("enum", [])]]


class SiteFilterForm(forms.Form):
    q = forms.CharField(label="Nom ou identifiant", required=False)
    epci = forms.ChoiceField(label="EPCI", required=False)
    vocation = forms.ChoiceField(label="Vocation", required=False, choices=_enum("site-eco", "site_vocadomi"))
    etat = forms.ChoiceField(label="État", required=False, choices=_enum("site-eco", "site_etat"))
    min_available_ha = forms.FloatField(label="Disponible immédiatement ≥ (ha)", required=False, min_value=0)
    label = forms.ChoiceField(
        label="Label", required=False, choices=[("", "tous"), *[(v, v) for v in LABEL_NAMES.values()]]
    )
    cle_en_main = forms.ChoiceField(
        label="Clé en main", required=False, choices=[("", "indifférent"), ("oui", "oui"), ("non", "non")]
    )
    min_readiness = forms.IntegerField(
        label="Maturité ≥ (sur 100)", required=False, min_value=0, max_value=100
    )

    def __init__(self, *args, epci_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["epci"].choices = [("", "tous"), *epci_choices]


class FricheFilterForm(forms.Form):
    q = forms.CharField(label="Nom, identifiant ou commune", required=False)
    epci = forms.ChoiceField(label="EPCI", required=False)
    statut = forms.ChoiceField(label="Statut", required=False, choices=_enum("friches", "site_statut"))
    type = forms.ChoiceField(label="Type", required=False, choices=_enum("friches", "site_type"))
    pollution = forms.ChoiceField(
        label="Pollution du sol", required=False, choices=_enum("friches", "sol_pollution_existe")
    )

    def __init__(self, *args, epci_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["epci"].choices = [("", "tous"), *epci_choices]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class LandImportForm(forms.Form):
    files = MultipleFileField(
        label="Fichiers",
        help_text="Sites économiques : les tables pole-eco, site-eco, terrain-eco, etablissement (CSV, GeoJSON, "
        "GeoPackage ou Shapefile zippé) ; ou un fichier Friches.",
    )
    epci = forms.ChoiceField(
        label="EPCI producteur (Sites économiques)",
        required=False,
        help_text="Un fichier Friches est placé d'après ses communes.",
    )
    producer = forms.TypedChoiceField(
        label="Organisation productrice (fichier Friches)",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="Un service de l'État ou la Région garde les friches de son inventaire départemental ou "
        "régional ; chacune est placée dans l'EPCI de sa commune. Sinon, chaque friche appartient à l'EPCI de "
        "sa commune.",
    )
    sets = forms.CharField(
        label="Compléter des colonnes pour tout le fichier",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "urba_zaer=inconnu"}),
        help_text="Une ligne COLONNE=VALEUR par colonne obligatoire absente du fichier, par exemple "
        "« urba_zaer=inconnu » (valeurs admises : oui, non, inconnu) ou « source_nom=DDT des Ardennes ».",
    )
    renames = forms.CharField(
        label="Associer des colonnes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "proprio_type(catpro3)=proprio_type"}),
        help_text="Une ligne COLONNE_DU_FICHIER=COLONNE_DU_STANDARD pour lire une colonne inconnue comme une "
        "colonne du standard (le rapport d'import propose les associations probables).",
    )
    visibility = forms.ChoiceField(
        label="Visibilité de l'inventaire",
        choices=Visibility.choices,
        initial=Visibility.REGION,
        help_text="Partager avec la Région permet l'agrégation régionale (observatoire, labels).",
    )
    skip_invalid = forms.BooleanField(
        label="Écarter les lignes invalides (les autres sont importées, les rejets téléchargeables)",
        required=False,
    )
    dry_run = forms.BooleanField(label="Simulation : valider sans rien écrire", required=False)

    def __init__(self, *args, epci_choices=(), producer_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["epci"].choices = [("", "—"), *epci_choices]
        if producer_choices:
            self.fields["producer"].choices = [
                ("", "l'EPCI de la commune de chaque friche"),
                *[(str(pk), name) for pk, name in producer_choices],
            ]
        else:
            del self.fields["producer"]

    def clean_files(self):
        """Each file and the whole upload within the upload limit; no name GDAL would read as a virtual path."""
        files = self.cleaned_data["files"]
        limits = import_limits()
        for upload in files:
            try:
                check_upload(Path(upload.name or "").name, upload.size, limits)
            except UserError as exc:
                raise forms.ValidationError(exc.message) from exc
        total = sum(upload.size for upload in files)
        if total > limits.upload_bytes:
            raise forms.ValidationError(
                f"Envoi trop volumineux : {size_text(total)} au total (limite : {size_text(limits.upload_bytes)})."
            )
        return files

    def clean_sets(self):
        return _pairs(self.cleaned_data["sets"], "COLONNE=VALEUR")

    def clean_renames(self):
        return _pairs(
            self.cleaned_data["renames"], "COLONNE_DU_FICHIER=COLONNE_DU_STANDARD", value_required=True
        )


def _pairs(text: str, shape: str, *, value_required: bool = False) -> dict[str, str]:
    """`NAME=VALUE` lines (blank lines ignored) as a dict; a malformed line is a form error naming it."""
    pairs = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip() or (value_required and not value.strip()):
            raise forms.ValidationError(f"Ligne {number} : forme {shape} attendue (« {line} »).")
        pairs[name.strip()] = value.strip()
    return pairs


class LabelProposalForm(forms.Form):
    label = forms.ChoiceField(label="Label", choices=LabelDecision.Label.choices)
    proposal_text = forms.CharField(label="Argumentaire", widget=forms.Textarea(attrs={"rows": 3}))
    sector_priorities = forms.CharField(
        label="Filières prioritaires", required=False, help_text="Séparées par des virgules."
    )


class LabelDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        label="Décision",
        choices=[("oui", "labelliser"), ("non", "refuser")],
        coerce=lambda v: v == "oui",
        widget=forms.RadioSelect,
    )
    decision_text = forms.CharField(label="Texte de la décision", widget=forms.Textarea(attrs={"rows": 3}))
    valid_until = forms.DateField(
        label="Label valable jusqu'au", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sector_priorities = forms.CharField(
        label="Filières prioritaires", required=False, help_text="Séparées par des virgules."
    )


def column_label(spec: dict) -> str:
    """The French label of a standard column (its title) or of a `tdm_*` extension (docs/land-extensions.md),
    with its unit."""
    name = spec["name"]
    if name in EXTENSION_LABELS:
        label, unit = EXTENSION_LABELS[name]
        return f"{label[:1].upper()}{label[1:]}" + (f" ({unit})" if unit else "")
    title = spec.get("title") or spec.get("description") or name
    unit = standard_unit(spec)
    return f"{title[:1].upper()}{title[1:]}" + (f" ({unit})" if unit else "")


# Units of the standards' numeric columns, as their schemas' descriptions state them (« … en hectare »,
# « Unité : m² », « (en km) »); the Table Schema files have no unit field and the editing specs no description.
STANDARD_UNITS = {
    "terr_surf_brute": "ha",
    "terr_vente_montant": "€",
    "terr_m2_prix": "€/m²",
    "site_surf_brute": "ha",
    "site_surf_utile": "ha",
    "site_surf_comm_dispo": "ha",
    "site_surf_projet": "ha",
    "site_taux_vacance": "%",
    "autoroute_echang_dist": "km",
    "gare_dist": "km",
    "gare_fret_dist": "km",
    "aeroport_dist": "km",
    "port_dist": "km",
    "pole_surface": "ha",
    "bati_surface": "m²",
    "unite_fonciere_surface": "m²",
}


def standard_unit(spec: dict) -> str:
    return STANDARD_UNITS.get(spec["name"], "")


EXTENSION_LABELS = {name: (label, unit) for name, _kind, unit, label, _enum in EXTENSIONS}


def terrain_form_class(columns: list[dict]) -> type[forms.Form]:
    """A form with one text (or list) field per editable TERRAIN-ECO column; validation is the importer's."""
    fields = {}
    for spec in columns:
        name = spec["name"]
        label = column_label(spec)
        enum = spec.get("enum")
        if enum:
            # A text field drawn as a list: out-of-list values reach the importer's validation, which
            # reports them (and normalises harmless variants) exactly as for a file.
            fields[name] = forms.CharField(
                label=label, required=False, widget=forms.Select(choices=[("", "—"), *[(v, v) for v in enum]])
            )
        else:
            fields[name] = forms.CharField(label=label, required=False)
    return type("TerrainForm", (forms.Form,), fields)


def creation_form_class(columns: list[dict], *, owner_choices, pole_choices=None) -> type[forms.Form]:
    """A pôle or site creation form: the owner, then one field per asked column (French label and unit);
    validation is the importer's."""
    fields = {
        "owner": forms.TypedChoiceField(
            label="Organisation productrice",
            coerce=int,
            choices=[(str(pk), name) for pk, name in owner_choices],
        )
    }
    base = terrain_form_class(columns).base_fields
    for spec in columns:
        name = spec["name"]
        if name == "pole_id" and pole_choices is not None:
            fields[name] = forms.ChoiceField(
                label=column_label(spec), choices=[("", "—"), *pole_choices], required=False
            )
        elif name in ("site_geomsurf",):
            fields[name] = forms.CharField(
                label="Contour du site (GeoJSON, WGS84)",
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text="Le polygone exporté de votre SIG, en GeoJSON (longitude, latitude en degrés).",
            )
        elif name == "pole_geompoint":
            fields[name] = forms.CharField(
                label="Localisation du pôle (longitude, latitude)",
                required=False,
                help_text="En degrés décimaux, par exemple « 4.72, 49.77 ».",
            )
        else:
            fields[name] = base[name]
    return type("CreationForm", (forms.Form,), fields)
