"""The answer file sent to the investor: compliance matrix, one sheet per shortlisted site, local ecosystem,
labour market. Rendered as HTML (template `prospects/answer.html`) and as PDF with WeasyPrint.
"""

from __future__ import annotations

from datetime import date

from django.template.loader import render_to_string
from pyproj import Transformer

from tandem.companies.selectors import establishment_counts_within, establishment_names_nearest
from tandem.core.geo import geojson
from tandem.land.models import Friche, LayerKind, Site, Terrain
from tandem.land.models.layers import distance_of
from tandem.land.perms import can_see_personal_fields
from tandem.organizations.perms import Actor, scope_queryset
from tandem.prospects.candidates import (
    ECOSYSTEM_RADIUS_KM,
    candidate_point,
    candidates_of,
    not_candidate_reason,
)
from tandem.prospects.labour import basin_market
from tandem.prospects.matching import ICPE_LEVELS, SEVESO_LEVELS, Requirements
from tandem.prospects.matching.engine import (
    CONDITIONAL_MET,
    MET,
    NOT_MET,
    TO_CHECK,
    compliance,
    required_constraints,
)
from tandem.prospects.matching.text import fr_date, fr_num
from tandem.prospects.models import Prospect

STATE_LABELS = {
    MET: "respecté",
    CONDITIONAL_MET: "sous condition",
    TO_CHECK: "à vérifier",
    NOT_MET: "non respecté",
}
STUDY_LABELS = {
    "tdm_study_fauna_flora_on": "inventaire faune-flore 4 saisons",
    "tdm_study_wetlands_on": "délimitation des zones humides",
    "tdm_study_archaeology_on": "diagnostic d'archéologie préventive",
    "tdm_study_soil_pollution_on": "diagnostic de pollution des sols",
    "tdm_study_geotechnics_on": "étude géotechnique",
}


def constraint_labels(req: Requirements) -> dict[str, str]:
    needed = fr_date(req.needed_by) if req.needed_by else "—"
    return {
        "commercialisation": "foncier commercialisable",
        "territoire": "territoire non exclu",
        "surface": f"surface ≥ {fr_num(req.surface_min_ha)} ha d'un seul tenant",
        "puissance": f"puissance électrique ≥ {fr_num(req.power_mw)} MW",
        "eau": f"eau de process ≥ {fr_num(req.water_m3h)} m³/h",
        "fer": "embranchement ferré",
        "voie_eau": "accès à la voie d'eau",
        "gaz": "raccordement au gaz naturel",
        "eaux_usees": f"traitement des eaux usées ≥ {fr_num(req.wastewater_m3d)} m³/j",
        "autoroute": f"échangeur autoroutier à ≤ {fr_num(req.max_motorway_km or 0)} km",
        "gare": f"gare de voyageurs à ≤ {fr_num(req.max_station_km or 0)} km",
        "aeroport": f"aéroport à ≤ {fr_num(req.max_airport_km or 0)} km",
        "icpe": f"régime ICPE « {ICPE_LEVELS[req.icpe_regime]} » admis",
        "seveso": f"{SEVESO_LEVELS[req.seveso]} admis",
        "disponibilite": f"disponible au plus tard le {needed}",
        "viabilisation": f"viabilisé au plus tard le {needed}",
        "friche": "friche sans projet ni pollution avérée",
    }


def _model_of(kind: str):
    return {"terrain": Terrain, "site": Site, "friche": Friche}[kind]


def _svg_outline(geometry: dict | None, size: int = 220) -> str:
    """The outline of a parcel as inline SVG (WeasyPrint draws it; no tile server needed)."""
    if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return ""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    transformer = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    rings = [[transformer.transform(x, y) for x, y in polygon[0]] for polygon in polygons]
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    scale = (size - 20) / span
    paths = []
    for ring in rings:
        points = " ".join(
            f"{10 + (x - min(xs)) * scale:.1f},{size - 10 - (y - min(ys)) * scale:.1f}" for x, y in ring
        )
        paths.append(f'<polygon points="{points}" fill="#dbe8ff" stroke="#000091" stroke-width="2"/>')
    scale_m = round(span / 2, -1) or span / 2
    bar = scale_m * scale
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size + 20}" '
        f'viewBox="0 0 {size} {size + 20}" role="img" aria-label="Contour de la parcelle">'
        + "".join(paths)
        + f'<line x1="10" y1="{size + 10}" x2="{10 + bar:.1f}" y2="{size + 10}" stroke="#000" stroke-width="2"/>'
        + f'<text x="{14 + bar:.1f}" y="{size + 14}" font-size="10">{fr_num(scale_m, 0)} m</text></svg>'
    )


def ecosystem_near(*, lon: float | None, lat: float | None, naf: str, radius_km: float = ECOSYSTEM_RADIUS_KM):
    """Active establishments of the prospect's NAF division within `radius_km` (SIRENE registry; the rule of
    the matching score, `companies.selectors.establishment_counts_within`), or None when the registry holds no
    establishment at all."""
    from tandem.companies.models import Establishment

    if not Establishment.objects.exists():
        return None
    if lon is None or lat is None or not naf:
        return {"count": 0, "names": []}
    division = [Requirements.division_of(naf)]
    count = establishment_counts_within([lon], [lat], naf_prefixes=division, radius_km=radius_km)[0]
    names = establishment_names_nearest(lon, lat, naf_prefixes=division, radius_km=radius_km, limit=10)
    return {"count": int(count), "names": names}


def _sheet(actor: Actor, proposal, today: date) -> dict:
    obj = proposal.candidate
    site = obj.site_eco if isinstance(obj, Terrain) else obj if isinstance(obj, Site) else obj.site_eco
    ext = obj if isinstance(obj, Terrain | Site) else site

    def pick(name):
        value = getattr(obj, name, None) if isinstance(obj, Terrain | Site) else None
        if value in (None, "", []) and site is not None:
            value = getattr(site, name, None)
        return value

    def distance(kind):
        return distance_of(ext, kind)[0] if ext is not None else None

    studies = [(label, getattr(ext, f, None) if ext else None) for f, label in STUDY_LABELS.items()]
    permit_months = pick("tdm_permit_months")
    price = getattr(obj, "terr_m2_prix", None) if isinstance(obj, Terrain) else None
    if price is not None and not can_see_personal_fields(actor, obj):
        price = None
    surface = (
        obj.terr_surf_brute
        if isinstance(obj, Terrain)
        else obj.site_surf_comm_dispo
        if isinstance(obj, Site)
        else (obj.unite_fonciere_surface / 10_000 if obj.unite_fonciere_surface else obj.area_ha)
    )
    return {
        "proposal": proposal,
        "title": str(obj) if not isinstance(obj, Terrain) else f"{obj.terr_id} — {site.site_nom}",
        "kind": proposal.get_kind_display(),
        "commune": getattr(obj.commune, "name", ""),
        "epci": site.site_epci_nom if site else "",
        "svg": _svg_outline(geojson(obj.geometry)),
        "surface_ha": surface,
        "site_surface_ha": site.site_surf_brute if site else None,
        "land_control": getattr(obj, "terr_maitrise_fonc", ""),
        "sale_stage": getattr(obj, "terr_stade_comm", ""),
        "price_eur_m2": price,
        "plu": " ".join(v for v in (pick("tdm_plu_zone_type"), pick("tdm_plu_zone")) if v),
        "power_mw": pick("tdm_power_mw"),
        "power_on": pick("tdm_power_available_on"),
        "gas": pick("tdm_gas"),
        "water_m3h": pick("tdm_water_m3h"),
        "wastewater_m3d": pick("tdm_wastewater_m3d"),
        "icpe_max": pick("tdm_icpe_max_regime"),
        "seveso_max": pick("tdm_seveso_max"),
        "rail": pick("tdm_rail_siding")
        if pick("tdm_rail_siding") is not None
        else getattr(site, "reseau_fret_ferroviaire", None),
        # The distances the matching read (the producer's value, else the one computed from the layer).
        "motorway_km": distance(LayerKind.MOTORWAY_JUNCTION),
        "motorway_name": getattr(site, "autoroute_nom", ""),
        "station": (getattr(site, "gare_nom", ""), distance(LayerKind.STATION)),
        "airport": (getattr(site, "aeroport_nom", ""), distance(LayerKind.AIRPORT)),
        "port": (getattr(site, "port_nom", ""), distance(LayerKind.PORT)),
        "studies": studies,
        "permit_months": permit_months,
        "appeals_cleared_on": pick("tdm_appeals_cleared_on"),
        "available_on": pick("tdm_available_on"),
        "stage": getattr(obj, "terr_stade_amngt", ""),
        "contacts": [
            c
            for c in (
                ("gestionnaire", getattr(site, "site_moa_nom", "")),
                ("aménageur", getattr(site, "site_moa_amngt", "")),
                ("vendeur", getattr(site, "site_moa_comm", "")),
                ("territoire qui propose", str(proposal.organization)),
            )
            if c[1]
        ],
        "ecosystem": None,
        "lon": candidate_point(obj)[0],
        "lat": candidate_point(obj)[1],
    }


def answer_context(*, actor: Actor, prospect: Prospect, requirements: Requirements, today: date) -> dict:
    """Everything the answer file shows, for the shortlisted proposals `actor` may see."""
    proposals = [
        p
        for p in prospect.proposals.filter(shortlisted=True).select_related(
            "organization",
            "terrain__site_eco",
            "terrain__commune",
            "site__commune",
            "friche__commune",
            "friche__site_eco",
        )
        if scope_queryset(actor, _model_of(p.kind).objects.filter(pk=p.candidate.pk)).exists()
    ]
    # Each proposed site is evaluated on its own columns, whatever the viewer's visibility of the inventory
    # (a proposal puts it before the task force), with its real status.
    candidates, rows = candidates_of(actor, [(p.kind, p.candidate.pk) for p in proposals], today=today)
    matrix = compliance(candidates, requirements, today=today) if len(candidates) else []
    labels = constraint_labels(requirements)
    constraints = required_constraints(requirements)
    sheets = []
    for proposal, row in zip(proposals, rows, strict=True):
        sheet = _sheet(actor, proposal, today)
        cells = []
        if row is None:
            reason = not_candidate_reason(proposal.candidate)
            sheet["unavailable"] = reason
        else:
            sheet["unavailable"] = str(candidates.unavailable[row])
            sheet["conditions"] = [str(candidates.friche_issue[row])] if candidates.friche_issue[row] else []
        for name in constraints:
            if row is None:
                label = reason if name == "commercialisation" else "non évalué"
                cells.append(
                    {
                        "state": NOT_MET if name == "commercialisation" else "unavailable",
                        "label": label,
                        "date": None,
                    }
                )
            else:
                state, on = matrix[row][name]
                label = STATE_LABELS[state]
                if name == "commercialisation" and state == NOT_MET:
                    label = str(candidates.unavailable[row])
                cells.append({"state": state, "label": label, "date": fr_date(on) if on else None})
        sheet["cells"] = cells
        sheet["ecosystem"] = ecosystem_near(lon=sheet["lon"], lat=sheet["lat"], naf=prospect.naf)
        sheet["labour"] = basin_market(proposal.candidate.commune_id, skills=prospect.skills)
        sheets.append(sheet)
    matrix = [
        {"label": labels[name], "cells": [sheet["cells"][k] for sheet in sheets]}
        for k, name in enumerate(constraints)
    ]
    return {
        "prospect": prospect,
        "requirements": requirements,
        "matrix": matrix,
        "sheets": sheets,
        "today": today,
        "radius_km": ECOSYSTEM_RADIUS_KM,
    }


def answer_html(context: dict) -> str:
    return render_to_string("prospects/answer.html", context)


def answer_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def _require_answer_right(actor: Actor, prospect: Prospect) -> None:
    from tandem.core.errors import NotAllowed
    from tandem.prospects import perms

    if not perms.can_manage_prospect(actor, prospect):
        raise NotAllowed("Vous ne pouvez pas générer le dossier de réponse de ce prospect.")


def answer_site_count(*, actor: Actor, prospect_id: int) -> int:
    """How many shortlisted sites the answer file would show (to serve a small PDF at once, a large one as a
    job), after the same checks as `answer_document`: 404 outside the task force, `NotAllowed` otherwise."""
    from tandem.organizations.perms import get_visible_or_404

    prospect = get_visible_or_404(actor, Prospect.objects.all(), pk=prospect_id)
    _require_answer_right(actor, prospect)
    return prospect.proposals.filter(shortlisted=True).count()


def answer_document(*, actor: Actor, prospect_id: int, fmt: str, today: date) -> str:
    """The answer file's HTML for `actor`: 404 outside the prospect's task force, `NotAllowed` for a member
    who may not generate it; the read is audited (the one place the web page and the PDF job both call)."""
    from tandem.core.models import AuditEvent
    from tandem.prospects import selectors, services
    from tandem.prospects.audit import audit_confidential

    prospect = selectors.prospect_get(actor=actor, pk=prospect_id, purpose=f"dossier de réponse ({fmt})")
    _require_answer_right(actor, prospect)
    context = answer_context(
        actor=actor, prospect=prospect, requirements=services.requirements_of(prospect), today=today
    )
    audit_confidential(
        actor=actor,
        action=AuditEvent.Action.EXPORT,
        obj=prospect,
        details={"format": fmt, "sites": len(context["sheets"])},
    )
    return answer_html(context)


def answer_pdf_file(*, actor: Actor, params: dict, out, progress) -> None:
    """The answer file as PDF, written into `out`: the generator of the web download, served at once or by a
    job (`tandem.core.files`, kind `prospects.answer_pdf`; `params`: prospect)."""
    from django.utils import timezone

    progress(10, "préparation du dossier")
    html = answer_document(actor=actor, prospect_id=params["prospect"], fmt="pdf", today=timezone.localdate())
    progress(50, "mise en page du PDF")
    out.write(answer_pdf(html))
