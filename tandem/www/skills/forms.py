from django import forms

from tandem.organizations.models import Visibility
from tandem.skills.models import SkillAction
from tandem.www.companies.forms import DATE, OwnerForm


class ActionForm(OwnerForm):
    job_code = forms.CharField(widget=forms.HiddenInput, max_length=5)
    kind = forms.ChoiceField(label="Action", choices=SkillAction.Kind.choices)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    people = forms.IntegerField(label="Personnes concernées (nombre)", required=False, min_value=0)
    due_on = forms.DateField(label="Échéance", required=False, widget=DATE)
    visibility = forms.ChoiceField(
        label="Visible par",
        choices=[(v, label) for v, label in Visibility.choices if v != Visibility.SHARED],
        initial=Visibility.NETWORK,
    )


class ActionUpdateForm(forms.Form):
    status = forms.ChoiceField(label="État", choices=SkillAction.Status.choices)
    results = forms.CharField(label="Résultats", required=False, widget=forms.Textarea(attrs={"rows": 2}))
