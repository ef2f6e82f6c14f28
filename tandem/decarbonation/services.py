"""Writes of the decarbonation module (keyword-only, `<entity>_<action>`): the one-figure-per-site-and-year
rule (`emissions_retain`), quality flags (`flags_refresh`), establishment links (`links_refresh`,
`link_confirm`, `link_reject`), the Région's major emitters and projects.

Registry writes (retain, flags, links) see every installation: they run from importers and commands.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Model, Q, QuerySet

from tandem.decarbonation import linking
from tandem.decarbonation.models import (
    ACCOUNT_STATUS_LABELS,
    EmissionRecord,
    EstablishmentLink,
    EtsAccount,
    Installation,
    QualityFlag,
)

# --- generic row synchronisation --------------------------------------------------------------------------


def sync_rows(
    model: type[Model], key: tuple[str, ...], rows: list[dict], scope: QuerySet, *, delete: bool = True
) -> dict:
    """Make `scope` hold exactly `rows` (matched on `key`): create the new, update the changed, delete the
    absent (unless `delete` is false). Counts by outcome; a second run with the same rows changes nothing.
    Existing rows are compared as tuples (no model instance is built for an unchanged row)."""
    fields = sorted({f for row in rows for f in row} - set(key))
    existing = {tuple(values[1 : 1 + len(key)]): values for values in scope.values_list("pk", *key, *fields)}
    new, changed, seen = [], [], set()
    for row in rows:
        k = tuple(row[f] for f in key)
        seen.add(k)
        current = existing.get(k)
        if current is None:
            new.append(model(**row))
            continue
        stored = dict(zip(fields, current[1 + len(key) :], strict=True))
        if any(f in row and stored[f] != row[f] for f in fields):
            changed.append(
                model(pk=current[0], **{**stored, **{k2: v for k2, v in row.items() if k2 in fields}})
            )
    removed = [values[0] for k, values in existing.items() if k not in seen] if delete else []
    if removed:
        model.objects.filter(pk__in=removed).delete()
    model.objects.bulk_create(new, batch_size=2000)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=1000)
    return {
        "created": len(new),
        "updated": len(changed),
        "removed": len(removed),
        "unchanged": len(existing) - len(changed) - len(removed),
    }


# --- one figure per site and year ---------------------------------------------------------------------------
# Which record a site's year is read from, best first. IREP's biomass-only CO2 is never retained: it is a
# share of the total, kept for information.
PRECEDENCE = {
    (EmissionRecord.Source.EUTL, EmissionRecord.Variant.VERIFIED): 0,
    (EmissionRecord.Source.DEMO, EmissionRecord.Variant.VERIFIED): 0,  # only on fictitious demo installations
    (EmissionRecord.Source.IREP, EmissionRecord.Variant.NON_BIOMASS): 1,
    (EmissionRecord.Source.IREP, EmissionRecord.Variant.TOTAL): 2,
    (EmissionRecord.Source.ESTIMATE, EmissionRecord.Variant.ESTIMATE): 3,
}


def emissions_retain(*, installation_ids: Iterable[int]) -> int:
    """Mark, for each (installation, year), the one record the totals read (`PRECEDENCE`); returns how many
    records changed. Turned off first, then on, so the « one retained » index never sees two."""
    ids = list(installation_ids)
    best: dict[tuple[int, int], tuple[int, int]] = {}
    current = {}
    for pk, inst, year, source, variant, retained in EmissionRecord.objects.filter(
        installation_id__in=ids
    ).values_list("pk", "installation_id", "year", "source", "variant", "retained"):
        current[pk] = retained
        rank = PRECEDENCE.get((source, variant))
        if rank is None:
            continue
        key = (inst, year)
        if key not in best or rank < best[key][0]:
            best[key] = (rank, pk)
    wanted = {pk for _rank, pk in best.values()}
    off = [pk for pk, on in current.items() if on and pk not in wanted]
    on = [pk for pk in wanted if not current[pk]]
    with transaction.atomic():
        EmissionRecord.objects.filter(pk__in=off).update(retained=False)
        EmissionRecord.objects.filter(pk__in=on).update(retained=True)
    return len(off) + len(on)


# --- quality flags ------------------------------------------------------------------------------------------
# A value this many times the median of the site's other figures (other years, other sources) is a unit error.
UNIT_ERROR_RATIO = 300.0
# A value this many times the next largest site of its NAF division (at least UNIT_PEERS sites), and this many
# times their median, is a unit error too (IREP 2015's 7.7 Mt food plant).
UNIT_ERROR_PEER_NEXT_RATIO = 10.0
UNIT_ERROR_PEER_MEDIAN_RATIO = 100.0
UNIT_PEERS = 10
# Year-on-year change beyond ×JUMP_RATIO (up or down), for figures above JUMP_MIN_T.
JUMP_RATIO = 3.0
JUMP_MIN_T = 10_000.0


def _fr(value: float) -> str:
    from tandem.core.formats import fr_number

    return fr_number(value, 0)


def flags_refresh(*, installation_ids: Iterable[int]) -> int:
    """Recompute the quality flags of these installations (each with its reason); returns the flag count."""
    ids = list(installation_ids)
    records: dict[int, list[_Rec]] = defaultdict(list)
    for values in (
        EmissionRecord.objects.filter(installation_id__in=ids)
        .order_by("year")
        .values_list("installation_id", "year", "source", "variant", "value_t", "retained")
    ):
        records[values[0]].append(_Rec(*values[1:]))
    installations = Installation.objects.in_bulk(ids)
    accounts: dict[int, list[EtsAccount]] = defaultdict(list)
    for account in EtsAccount.objects.filter(installation_id__in=ids).order_by("eutl_id"):
        accounts[account.installation_id].append(account)
    flags: list[QualityFlag] = []
    for inst_id, inst in installations.items():
        recs = records.get(inst_id, [])
        retained = [r for r in recs if r.retained]
        # unit error against the site's own other figures
        for rec in retained:
            others = [
                r.value_t
                for r in recs
                if r is not rec and r.variant != EmissionRecord.Variant.BIOMASS and r.value_t > 0
            ]
            others = [v for v in others if abs(v - rec.value_t) > 1e-6]
            if len(others) >= 1 and rec.value_t > UNIT_ERROR_RATIO * statistics.median(others):
                flags.append(
                    QualityFlag(
                        installation_id=inst_id,
                        kind=QualityFlag.Kind.UNIT_ERROR,
                        year=rec.year,
                        reason=(
                            f"{_fr(rec.value_t)} t en {rec.year} ({rec.get_source_display()}) : "
                            f"{_fr(rec.value_t / statistics.median(others))} fois la médiane des autres valeurs "
                            f"du site ({_fr(statistics.median(others))} t) ; probable confusion kg / t"
                        ),
                    )
                )
        # year-on-year jumps
        by_year = {r.year: r for r in retained}
        for year, rec in by_year.items():
            before = by_year.get(year - 1)
            if before is None or max(rec.value_t, before.value_t) < JUMP_MIN_T:
                continue
            low, high = sorted((rec.value_t, before.value_t))
            if low <= 0 or high / low >= JUMP_RATIO:
                if any(
                    f.kind == QualityFlag.Kind.UNIT_ERROR
                    and f.installation_id == inst_id
                    and f.year in (year, year - 1)
                    for f in flags
                ):
                    continue
                flags.append(
                    QualityFlag(
                        installation_id=inst_id,
                        kind=QualityFlag.Kind.JUMP,
                        year=year,
                        reason=f"{_fr(before.value_t)} t en {year - 1}, {_fr(rec.value_t)} t en {year} : variation au-delà d'un facteur {_fr(JUMP_RATIO)}",
                    )
                )
        # closed, reopened or split accounts
        if len(accounts.get(inst_id, [])) > 1:
            listed = ", ".join(f"{a.eutl_id} ({_status_fr(a.status)})" for a in accounts[inst_id])
            flags.append(
                QualityFlag(
                    installation_id=inst_id,
                    kind=QualityFlag.Kind.MERGED_ACCOUNTS,
                    year=None,
                    reason=f"code AIOT {inst.aiot_code} porté par {len(accounts[inst_id])} comptes SEQE-UE : {listed} ; émissions additionnées par année",
                )
            )
        if inst.point_quality in (Installation.PointQuality.POSTCODE, Installation.PointQuality.COMMUNE):
            flags.append(
                QualityFlag(
                    installation_id=inst_id,
                    kind=QualityFlag.Kind.POSTCODE_POINT,
                    year=None,
                    reason=f"position approchée : {inst.get_point_quality_display()} ({inst.postcode or inst.city}), pas celle du site",
                )
            )
        variants = defaultdict(set)
        for r in recs:
            if r.source == EmissionRecord.Source.IREP:
                variants[r.year].add(r.variant)
        for year, present in variants.items():
            if EmissionRecord.Variant.BIOMASS in present or EmissionRecord.Variant.NON_BIOMASS not in present:
                kept = (
                    "hors biomasse"
                    if EmissionRecord.Variant.NON_BIOMASS in present
                    else "total (biomasse comprise)"
                )
                flags.append(
                    QualityFlag(
                        installation_id=inst_id,
                        kind=QualityFlag.Kind.BIOMASS_VARIANT,
                        year=year,
                        reason=f"IREP {year} : {len(present)} variante(s) du CO2 déclarée(s), jamais additionnées ; valeur retenue : {kept}",
                    )
                )
    flags += _peer_unit_errors(ids)
    unique = {}
    for flag in flags:
        unique.setdefault((flag.installation_id, flag.kind, flag.year), flag)
    with transaction.atomic():
        QualityFlag.objects.filter(installation_id__in=ids).delete()
        QualityFlag.objects.bulk_create(unique.values(), batch_size=2000)
    return len(unique)


@dataclass(eq=False)
class _Rec:
    """An emission record as the flags read it (no model instance: thousands per import)."""

    year: int
    source: str
    variant: str
    value_t: float
    retained: bool

    def get_source_display(self) -> str:
        return EmissionRecord.Source(self.source).label


def _status_fr(status: str) -> str:
    return ACCOUNT_STATUS_LABELS.get(status, status or "?")


def _peer_unit_errors(ids: list[int]) -> list[QualityFlag]:
    """Retained values far above every other site of the same NAF division in the same year."""
    divisions = {
        naf[:2]
        for naf in Installation.objects.filter(pk__in=ids).exclude(naf="").values_list("naf", flat=True)
    }
    if not divisions:
        return []
    rows = list(
        EmissionRecord.objects.filter(
            retained=True, installation__naf__regex=rf"^({'|'.join(sorted(divisions))})"
        ).values_list("installation_id", "installation__naf", "year", "value_t")
    )
    groups: dict[tuple[str, int], list[tuple[float, int]]] = defaultdict(list)
    for inst, naf, year, value in rows:
        groups[(naf[:2], year)].append((value, inst))
    wanted, flags = set(ids), []
    for (division, year), values in groups.items():
        if len(values) < UNIT_PEERS:
            continue
        values.sort(reverse=True)
        (top, inst), (second, _i) = values[0], values[1]
        median = statistics.median(v for v, _ in values[1:])
        if (
            inst in wanted
            and second > 0
            and top >= UNIT_ERROR_PEER_NEXT_RATIO * second
            and top >= UNIT_ERROR_PEER_MEDIAN_RATIO * median
        ):
            flags.append(
                QualityFlag(
                    installation_id=inst,
                    kind=QualityFlag.Kind.UNIT_ERROR,
                    year=year,
                    reason=(
                        f"{_fr(top)} t en {year} : {_fr(top / second)} fois le site suivant de la division NAF {division} "
                        f"({_fr(second)} t) et {_fr(top / median)} fois leur médiane ({_fr(median)} t) ; probable erreur d'unité"
                    ),
                )
            )
    return flags


# --- links to SIRENE establishments ---------------------------------------------------------------------------


def _site_names(inst: Installation) -> tuple[str, ...]:
    return tuple(n for n in (inst.name, inst.operator_name) if n)


def links_refresh(*, installation_ids: Iterable[int] | None = None) -> dict:
    """Recompute the sure (`auto`) and proposed links of installations (all when `installation_ids` is None)
    through the linking engine. Installations with a confirmed link keep it untouched; establishments a person
    rejected are never proposed again. Returns counts: auto, proposed (links), kept (confirmed)."""
    from tandem.companies.models import Establishment

    installations = Installation.objects.all()
    if installation_ids is not None:
        installations = installations.filter(pk__in=list(installation_ids))
    installations = list(installations.filter(~Q(siret="") | ~Q(siren="")))
    confirmed = set(
        EstablishmentLink.objects.filter(status=EstablishmentLink.Status.CONFIRMED).values_list(
            "installation_id", flat=True
        )
    )
    rejected: dict[int, set[str]] = defaultdict(set)
    for inst_id, siret in EstablishmentLink.objects.filter(
        status=EstablishmentLink.Status.REJECTED
    ).values_list("installation_id", "establishment_id"):
        rejected[inst_id].add(siret)
    todo = [i for i in installations if i.pk not in confirmed]
    sirets = {i.siret for i in todo if i.siret}
    sirens = {i.siren or i.siret[:9] for i in todo}
    fields = (
        "siret",
        "company_id",
        "commune_code",
        "postcode",
        "departement_code",
        "state",
        "usual_name",
        "signboard",
        "company__name",
        "company__usual_name",
    )
    candidates: dict[str, linking.Candidate] = {}
    of_siren: dict[str, list[linking.Candidate]] = defaultdict(list)
    for row in Establishment.objects.filter(Q(siret__in=sirets) | Q(company_id__in=sirens)).values(*fields):
        cand = linking.Candidate(
            siret=row["siret"],
            commune_code=row["commune_code"],
            postcode=row["postcode"],
            departement=row["departement_code"],
            names=tuple(
                n
                for n in (
                    row["company__name"],
                    row["company__usual_name"],
                    row["usual_name"],
                    row["signboard"],
                )
                if n
            ),
            active=row["state"] == "A",
        )
        candidates[cand.siret] = cand
        of_siren[row["company_id"]].append(cand)
    wanted: dict[tuple[int, str], linking.Proposal] = {}
    for inst in todo:
        site = linking.Site(
            siret=inst.siret,
            siren=inst.siren or inst.siret[:9],
            commune_code=inst.commune_id or "",
            postcode=inst.postcode,
            departement=inst.departement_code,
            names=_site_names(inst),
        )
        for proposal in linking.propose(
            site, candidates, of_siren.get(site.siren, []), frozenset(rejected[inst.pk])
        ):
            wanted[(inst.pk, proposal.siret)] = proposal
    rows = [
        {
            "installation_id": inst_id,
            "establishment_id": siret,
            "method": p.method,
            "score": p.score,
            "status": EstablishmentLink.Status.AUTO if p.sure else EstablishmentLink.Status.PROPOSED,
            "reason": p.reason[:255],
        }
        for (inst_id, siret), p in wanted.items()
    ]
    scope = EstablishmentLink.objects.filter(
        installation_id__in=[i.pk for i in todo],
        status__in=[EstablishmentLink.Status.AUTO, EstablishmentLink.Status.PROPOSED],
    )
    with transaction.atomic():
        # A proposal turned sure (or the reverse) is rewritten: delete first so the « one sure link » index holds.
        existing = {(link.installation_id, link.establishment_id): link for link in scope}
        stale = [
            link.pk
            for k, link in existing.items()
            if k not in wanted
            or link.status
            != (EstablishmentLink.Status.AUTO if wanted[k].sure else EstablishmentLink.Status.PROPOSED)
        ]
        EstablishmentLink.objects.filter(pk__in=stale).delete()
        sync_rows(
            EstablishmentLink,
            ("installation_id", "establishment_id"),
            rows,
            EstablishmentLink.objects.filter(
                installation_id__in=[i.pk for i in todo], status__in=["auto", "proposed"]
            ),
        )
    return {
        "auto": sum(1 for r in rows if r["status"] == EstablishmentLink.Status.AUTO),
        "proposed": sum(1 for r in rows if r["status"] == EstablishmentLink.Status.PROPOSED),
        "kept": len(confirmed),
    }


def link_confirm(*, actor, link: EstablishmentLink) -> EstablishmentLink:
    """A person confirms a candidate: it becomes the installation's link, kept across re-imports; the other
    candidates of the installation are rejected (never proposed again)."""
    from django.utils import timezone

    from tandem.core.audit import audit_record
    from tandem.core.errors import NotAllowed
    from tandem.decarbonation.perms import can_review_links

    if not can_review_links(actor):
        raise NotAllowed(
            "Seuls les contributeurs de la Région confirment les liens entre installations et établissements."
        )
    now = timezone.now()
    with transaction.atomic():
        others = EstablishmentLink.objects.filter(installation_id=link.installation_id).exclude(pk=link.pk)
        others.exclude(status=EstablishmentLink.Status.REJECTED).update(
            status=EstablishmentLink.Status.REJECTED, decided_by=actor.user, decided_at=now
        )
        link.status, link.decided_by, link.decided_at = EstablishmentLink.Status.CONFIRMED, actor.user, now
        link.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
        audit_record(
            actor=actor,
            action="update",
            obj=link,
            details={"lien": "confirmé", "siret": link.establishment_id},
        )
    return link


def link_reject(*, actor, link: EstablishmentLink) -> EstablishmentLink:
    """A person refuses a candidate (or a sure link): never proposed again for this installation."""
    from django.utils import timezone

    from tandem.core.audit import audit_record
    from tandem.core.errors import NotAllowed
    from tandem.decarbonation.perms import can_review_links

    if not can_review_links(actor):
        raise NotAllowed(
            "Seuls les contributeurs de la Région écartent les liens entre installations et établissements."
        )
    link.status, link.decided_by, link.decided_at = (
        EstablishmentLink.Status.REJECTED,
        actor.user,
        timezone.now(),
    )
    link.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    audit_record(
        actor=actor, action="update", obj=link, details={"lien": "écarté", "siret": link.establishment_id}
    )
    return link


# --- projects and the Région's list -------------------------------------------------------------------------
PROJECT_FIELDS = (
    "title",
    "lever",
    "status",
    "investment_eur",
    "aid_requested_eur",
    "aid_granted_eur",
    "aid_scheme",
    "expected_t_per_year",
    "start_year",
    "realised_t_per_year",
)


def installation_company_id(installation: Installation) -> str | None:
    """The company (SIREN) of an installation's sure or confirmed establishment link, if any."""
    link = (
        EstablishmentLink.objects.filter(
            installation=installation,
            status__in=[EstablishmentLink.Status.AUTO, EstablishmentLink.Status.CONFIRMED],
        )
        .select_related("establishment")
        .first()
    )
    return link.establishment.company_id if link else None


def project_create(*, actor, owner, installation: Installation, visibility: str = "private", **fields):
    """Record a decarbonation project of `installation` for `owner` (its contributors, in its perimeter: the
    permission layer's creation rule, placed at the installation's commune). It joins the company's timeline
    through the installation's establishment link."""
    from tandem.core.audit import audit_record
    from tandem.core.errors import NotAllowed
    from tandem.decarbonation.models import Project
    from tandem.organizations.perms import can_create, can_share, sharing_requested

    if not can_create(actor, Project, owner=owner, commune_code=installation.commune_id):
        raise NotAllowed(
            "Vous ne pouvez pas enregistrer de projet pour cette organisation sur ce territoire."
        )
    if sharing_requested(visibility) and not can_share(actor, owner=owner):
        raise NotAllowed("Seule l'organisation propriétaire décide qui voit ce projet.")
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    project = Project.objects.create(
        owner=owner,
        visibility=visibility,
        installation=installation,
        commune_id=installation.commune_id,
        company_id=installation_company_id(installation),
        created_by=getattr(actor, "user", None)
        if getattr(getattr(actor, "user", None), "pk", None)
        else None,
        **fields,
    )
    audit_record(actor=actor, action="create", obj=project)
    return project


def project_update(*, actor, project, **fields):
    """Change a project's fields (its owner's contributors)."""
    from tandem.core.audit import audit_record
    from tandem.core.errors import NotAllowed
    from tandem.organizations.perms import can_change

    if not can_change(actor, project):
        raise NotAllowed("Vous ne pouvez pas modifier ce projet.")
    unknown = set(fields) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"unknown project fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(project, name, value)
    project.save(update_fields=[*fields, "updated_at"])
    audit_record(actor=actor, action="update", obj=project, details={"champs": sorted(fields)})
    return project


def major_emitters_set(*, actor, region_code: str, installation_ids: list[int]):
    """Replace the Région's list of « 15 plus gros émetteurs » (its contributors)."""
    from tandem.core.audit import audit_record
    from tandem.core.errors import NotAllowed
    from tandem.decarbonation.models import MajorEmitter
    from tandem.decarbonation.perms import can_edit_major_emitters
    from tandem.organizations.models import Organization

    if not can_edit_major_emitters(actor, region_code):
        raise NotAllowed("Seuls les contributeurs de la Région tiennent la liste des plus gros émetteurs.")
    owner = (
        Organization.objects.filter(kind=Organization.Kind.REGION, region_id=region_code)
        .order_by("pk")
        .first()
    )
    if owner is None:
        raise NotAllowed("Aucune organisation Région pour cette région.")
    with transaction.atomic():
        MajorEmitter.objects.filter(region_id=region_code).delete()
        MajorEmitter.objects.bulk_create(
            [
                MajorEmitter(region_id=region_code, installation_id=i, owner=owner, added_by=actor.user)
                for i in dict.fromkeys(installation_ids)
            ]
        )
    audit_record(
        actor=actor,
        action="update",
        object_type="decarbonation.majoremitter",
        details={"région": region_code, "installations": len(installation_ids)},
    )
