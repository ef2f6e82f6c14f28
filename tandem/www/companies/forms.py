"""Forms of the company pages. Choices of organisations and people come from the permission layer."""

from django import forms
from django.contrib.auth import get_user_model

from tandem.companies.models import (
    STEP_ORDER,
    Company,
    CompanyAdvisor,
    CompanyProject,
    Contact,
    Exchange,
    Need,
    ParcoursStepKind,
    Signal,
    SolutionProvider,
)
from tandem.organizations.models import Organization, Visibility

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class JobInput(forms.TextInput):
    """A job typed on a hiring need, with the ROME appellations suggested as one types (tandem.js,
    `data-suggest`): picking one confirms the proposed job (« Soudeur / Soudeuse à la flamme — H2913 Soudeur / Soudeuse »)."""

    template_name = "www/companies/_job_input.html"

    def __init__(self, attrs=None, separator: str = ""):
        attrs = {"autocomplete": "off", "data-suggest-value": "label", **(attrs or {})}
        if separator:
            attrs["data-suggest-separator"] = separator
        super().__init__(attrs)

    def get_context(self, name, value, attrs):
        from django.urls import reverse

        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["data-suggest"] = reverse("www:skills:job_suggestions")
        widget_attrs["list"] = f"{widget_attrs.get('id') or name}-suggestions"
        return context


class JobField(forms.CharField):
    def __init__(self, *, separator: str = "", **kwargs):
        kwargs.setdefault("max_length", 250)
        super().__init__(widget=JobInput(separator=separator), **kwargs)


class OwnerForm(forms.Form):
    """Base: the organisation on whose behalf one writes (one's own, or an EPCI through a delegation)."""

    owner = forms.ModelChoiceField(label="Au nom de", queryset=Organization.objects.none())

    def __init__(self, *args, owners=None, current_org_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners if owners is not None else Organization.objects.none()
        if current_org_id and not self.is_bound:
            self.fields["owner"].initial = current_org_id


class VisibilityMixin(forms.Form):
    visibility = forms.ChoiceField(
        label="Visibilité",
        choices=Visibility.choices,
        initial=Visibility.PRIVATE,
        help_text="Par défaut, seule votre organisation lit ce que vous écrivez.",
    )


class SharingMixin(VisibilityMixin):
    shared_with = forms.ModelMultipleChoiceField(
        label="Partager avec (organisations désignées)",
        queryset=Organization.objects.order_by("name"),
        required=False,
        help_text="Ces organisations liront aussi les notes, quelle que soit la visibilité choisie.",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )


class AdvisorForm(OwnerForm):
    user = forms.ModelChoiceField(label="Personne", queryset=get_user_model().objects.none())
    role = forms.ChoiceField(label="Rôle", choices=CompanyAdvisor.Role.choices)
    expertise = forms.CharField(label="Domaine d'expertise", max_length=120, required=False)
    handover_note = forms.CharField(
        label="Motif de la passation (si un référent est remplacé)", max_length=255, required=False
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people if people is not None else get_user_model().objects.none()
        self.fields["owner"].label = "Organisation de la personne"


class ExchangeForm(OwnerForm, SharingMixin):
    kind = forms.ChoiceField(label="Type", choices=Exchange.Kind.choices)
    happened_on = forms.DateField(label="Date", widget=DATE)
    topic = forms.CharField(
        label="Sujet",
        max_length=200,
        help_text="Visible, comme les notes, des seules organisations avec lesquelles l'échange est partagé ; "
        "les autres voient seulement « Échange avec votre organisation le … ».",
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 4}))


class ExchangeEditForm(SharingMixin):
    topic = forms.CharField(
        label="Sujet",
        max_length=200,
        help_text="Visible, comme les notes, des seules organisations avec lesquelles l'échange est partagé ; "
        "les autres voient seulement « Échange avec votre organisation le … ».",
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class NeedForm(OwnerForm, SharingMixin):
    topic = forms.ChoiceField(label="Thème", choices=Need.Topic.choices)
    title = forms.CharField(label="Intitulé", max_length=200)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_on = forms.DateField(label="Échéance", required=False, widget=DATE)


class NeedStatusForm(forms.Form):
    status = forms.ChoiceField(label="Statut", choices=Need.Status.choices)


class ReminderForm(OwnerForm):
    remind_on = forms.DateField(label="Date du rappel", widget=DATE)
    text = forms.CharField(label="Rappel", max_length=255)


class StepAidForm(forms.Form):
    provider = forms.ModelChoiceField(
        label="Opérateur (offreur de solutions)",
        queryset=SolutionProvider.objects.filter(is_active=True),
        required=False,
    )
    aid_granted = forms.BooleanField(label="Aide accordée", required=False)
    aid_label = forms.CharField(label="Dispositif d'aide", max_length=150, required=False)
    aid_amount_eur = forms.DecimalField(
        label="Montant (€)", required=False, min_value=0, max_digits=12, decimal_places=2
    )


class ProjectForm(OwnerForm, SharingMixin):
    kind = forms.ChoiceField(label="Nature", choices=CompanyProject.Kind.choices)
    title = forms.CharField(label="Intitulé", max_length=200)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    amount_eur = forms.DecimalField(
        label="Montant (€)", required=False, min_value=0, max_digits=14, decimal_places=2
    )
    jobs = forms.IntegerField(label="Emplois concernés", required=False, min_value=0)
    job_title = JobField(
        label="Métier recherché (intitulé, ex. soudeur, ou code ROME, ex. H2913, ou FAP 2021, ex. D0X31)",
        required=False,
    )
    surface_needed_m2 = forms.IntegerField(label="Surface recherchée (m²)", required=False, min_value=1)
    expected_on = forms.DateField(label="Échéance du projet", required=False, widget=DATE)


class ProjectAnswerForm(forms.Form):
    answer = forms.CharField(label="Réponse apportée", widget=forms.Textarea(attrs={"rows": 3}))


class ContactForm(OwnerForm, SharingMixin):
    full_name = forms.CharField(label="Nom et prénom", max_length=150)
    job_title = forms.CharField(label="Fonction", max_length=150, required=False)
    email = forms.EmailField(label="Courriel", required=False)
    phone = forms.CharField(label="Téléphone", max_length=30, required=False)
    purpose = forms.CharField(label="Finalité (pourquoi ce contact est conservé)", max_length=255)
    source = forms.ChoiceField(label="Source", choices=Contact.Source.choices)


class ParcoursMoveForm(OwnerForm):
    step = forms.ChoiceField(label="Étape", choices=ParcoursStepKind.choices)
    on = forms.DateField(label="Date", widget=DATE)
    provider = forms.ModelChoiceField(
        label="Opérateur (offreur de solutions)",
        queryset=SolutionProvider.objects.filter(is_active=True),
        required=False,
    )
    aid_granted = forms.BooleanField(label="Aide accordée", required=False)
    aid_label = forms.CharField(label="Dispositif d'aide", max_length=150, required=False)
    aid_amount_eur = forms.DecimalField(
        label="Montant de l'aide (€)", required=False, min_value=0, max_digits=12, decimal_places=2
    )

    def __init__(self, *args, current_step=None, **kwargs):
        super().__init__(*args, **kwargs)
        if current_step:
            later = STEP_ORDER[STEP_ORDER.index(current_step) + 1 :]
            self.fields["step"].choices = [(k.value, k.label) for k in ParcoursStepKind if k.value in later]


class ParcoursHiringNeedForm(forms.Form):
    """A hiring need found at the Parcours' skills step (the 360° diagnostic)."""

    job = JobField(label="Métier recherché (intitulé, ex. soudeur, ou code ROME)")
    jobs = forms.IntegerField(label="Emplois à pourvoir", min_value=1)
    expected_on = forms.DateField(label="Date d'embauche prévue", required=False, widget=DATE)


class SignalForm(OwnerForm, VisibilityMixin):
    ADVISOR_CATEGORIES = [
        Signal.Category.LOSS_OF_ACTIVITY,
        Signal.Category.FINANCING,
        Signal.Category.SUPPLY,
        Signal.Category.HR_SKILLS,
        Signal.Category.SUCCESSION,
        Signal.Category.OTHER,
    ]
    category = forms.ChoiceField(label="Catégorie", choices=[(c.value, c.label) for c in ADVISOR_CATEGORIES])
    observed_on = forms.DateField(label="Date de l'événement", widget=DATE)
    description = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 3}))


class SignalHandleForm(forms.Form):
    decision = forms.ChoiceField(
        label="Décision",
        choices=[("acknowledge", "prendre en compte"), ("act", "engager une action"), ("dismiss", "écarter")],
    )
    action = forms.ChoiceField(label="Action", choices=[("", "—"), *Signal.Action.choices], required=False)
    reason = forms.ChoiceField(
        label="Motif (si écarté)", choices=[("", "—"), *Signal.DismissalReason.choices], required=False
    )
    note = forms.CharField(label="Commentaire", required=False, max_length=1000)


class ReviewForm(OwnerForm):
    title = forms.CharField(label="Intitulé", max_length=200, required=False)
    held_on = forms.DateField(label="Date de la revue", widget=DATE)
    area = forms.ChoiceField(label="Territoire de la revue")
    stall_days = forms.IntegerField(
        label="Étape du Parcours bloquée au-delà de (jours)", initial=120, min_value=1
    )
    shared_with = forms.ModelMultipleChoiceField(
        label="Organisations participantes",
        queryset=Organization.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-list"}),
    )

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = list(areas)


class MinutesForm(forms.Form):
    minutes = forms.CharField(label="Compte rendu", widget=forms.Textarea(attrs={"rows": 6}), required=False)


class SirenField(forms.CharField):
    """An optional SIREN naming a company of the registry: a name or an unknown number is a French error, never
    silently dropped."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "SIREN concerné")
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", "9 chiffres, par exemple 552100554 ; laisser vide si aucune entreprise."
        )
        super().__init__(max_length=20, **kwargs)

    def clean(self, value):
        text = "".join((super().clean(value) or "").split())
        if not text:
            return None
        if not (text.isdigit() and len(text) == 9):
            raise forms.ValidationError(
                f"« {value.strip()} » n'est pas un SIREN : saisissez les 9 chiffres du numéro SIREN de l'entreprise."
            )
        company = Company.objects.filter(pk=text).first()
        if company is None:
            raise forms.ValidationError(f"Aucune entreprise de SIREN {text} dans le répertoire.")
        return company


class DecisionForm(forms.Form):
    text = forms.CharField(label="Décision", widget=forms.Textarea(attrs={"rows": 2}))
    company = SirenField()


class ActionForm(forms.Form):
    text = forms.CharField(label="Action", max_length=255)
    company = SirenField()
    assignee_organization = forms.ModelChoiceField(
        label="Organisation responsable", queryset=Organization.objects.all(), required=False
    )
    due_on = forms.DateField(label="Échéance", required=False, widget=DATE)


class ProviderForm(forms.Form):
    name = forms.CharField(label="Nom", max_length=200)
    domain = forms.ChoiceField(label="Réseau", choices=SolutionProvider._meta.get_field("domain").choices)
    services = forms.CharField(label="Offre", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    website = forms.URLField(label="Site", required=False, assume_scheme="https")
