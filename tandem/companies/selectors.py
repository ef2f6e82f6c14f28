"""Reads of the SIRENE registry, under the permission layer.

Registry data is public (INSEE, Licence Ouverte), but each organisation works in its perimeter: lists show an
EPCI its communes, an agency what its delegations cover, the Région and platform administrators the whole
registry (`tandem.companies.perms.actor_commune_codes`). Protected fields of non-diffusible establishments
are never exposed (`public_establishment_fields`).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from tandem.companies.models import (
    PROTECTED_COMPANY_FIELDS,
    PROTECTED_ESTABLISHMENT_FIELDS,
    Company,
    Establishment,
)
from tandem.companies.perms import actor_commune_codes, can_read_registry
from tandem.organizations.perms import Actor
from tandem.territories.models import Commune


def registry_establishments(
    actor: Actor,
    *,
    departement: str | None = None,
    commune: str | None = None,
    epci: str | None = None,
    naf: str | None = None,
    siren: str | None = None,
    etat: str | None = None,
    q: str | None = None,
) -> QuerySet:
    """Establishments of `actor`'s perimeter, filtered (all filters optional, combined with AND).

    `naf` is a sub-class code (« 25.11Z ») or a prefix (« 25.1 »); `q` searches names, signboards (public
    ones only), SIRET and commune labels.
    """
    if not can_read_registry(actor):
        return Establishment.objects.none()
    qs = Establishment.objects.select_related("company")
    # Perimeters filter on the commune code of the file (indexed; equal to `commune_id` for a commune of the
    # loaded geography).
    codes = actor_commune_codes(actor)
    if codes is not None:
        qs = qs.filter(commune_code__in=codes)
    if departement:
        # The prefix lets the commune_code index serve (a département's communes share its code's start).
        qs = qs.filter(departement_code=departement, commune_code__startswith=departement)
    if commune:
        qs = qs.filter(commune_code=commune)
    if epci:
        qs = qs.filter(commune_code__in=Commune.objects.filter(epci_id=epci).values("code"))
    if naf:
        naf = naf.strip().upper()
        qs = qs.filter(naf=naf) if len(naf) == 6 else qs.filter(naf__startswith=naf)
    if siren:
        qs = qs.filter(company_id=siren)
    if etat:
        qs = qs.filter(state=etat)
    q = (q or "").strip()
    if q:
        digits = q.replace(" ", "")
        if digits.isdigit():
            qs = qs.filter(siret__startswith=digits)
        else:
            qs = qs.filter(
                Q(company__name__icontains=q)
                | Q(company__usual_name__icontains=q)
                | Q(signboard__icontains=q, diffusion="O")
                | Q(usual_name__icontains=q, diffusion="O")
                | Q(commune_label__icontains=q)
            )
    return qs.order_by("siret")


def registry_company(actor: Actor, siren: str) -> Company:
    """A company of the registry with its establishments (public data: every member of the network may
    look a company up), or 404."""
    if not can_read_registry(actor):
        raise Http404
    try:
        return Company.objects.prefetch_related("establishments").get(siren=siren)
    except Company.DoesNotExist as exc:
        raise Http404 from exc


def public_establishment_fields(establishment: Establishment) -> set[str]:
    """The fields that may be shown for this establishment (INSEE's diffusion rules)."""
    names = {f.attname for f in Establishment._meta.concrete_fields}
    return names - set(PROTECTED_ESTABLISHMENT_FIELDS) if establishment.is_protected else names


def public_company_fields(company: Company) -> set[str]:
    names = {f.attname for f in Company._meta.concrete_fields}
    return names - set(PROTECTED_COMPANY_FIELDS) if company.is_protected else names
