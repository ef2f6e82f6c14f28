"""A small land inventory over two EPCI for the OGC API tests: what each one's user may see is known by
construction (owner, visibility, sharing), independently of the permission layer's code."""

from __future__ import annotations

import datetime as dt

import shapely
from rest_framework.authtoken.models import Token

from tandem.land.models import Pole
from tandem.organizations.models import Role, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.models import Commune
from tandem.territories.perimeters import perimeter_create
from tests.factories import epci_org, make_member
from tests.land.inventory_builders import make_friche, make_site, make_terrain

METZ_EPCI, STRASBOURG_EPCI = "200039709", "246700488"
METZ, WOIPPY, STRASBOURG = "57463", "57751", "67482"
BUYER = "Acquéreur Personne Fictive"
OWNER_NAME = "Propriétaire Personne Fictive"


def make_pole(owner, commune_code: str, name: str, visibility=Visibility.PRIVATE) -> Pole:
    commune = Commune.objects.get(pk=commune_code)
    pole = Pole(
        owner=owner,
        commune=commune,
        pole_id=f"{commune_code}_P_{name[:8]}",
        pole_nom=name,
        pole_vocadomi="industrielle",
        pole_actu_date=dt.date(2025, 3, 1),
        visibility=visibility,
    )
    pole.set_geometry(shapely.Point(commune.centroid_lon, commune.centroid_lat))
    pole.save()
    return pole


def build_world() -> dict:
    """Metz (EPCI) owns a network-wide and a private object of each kind, and a terrain whose personal fields
    it shares; Strasbourg owns private ones and shares one site with Metz by name."""
    metz, strasbourg = epci_org(METZ_EPCI), epci_org(STRASBOURG_EPCI)
    metz_user = make_member(metz, Role.LECTEUR, username="ogc.metz")
    strasbourg_user = make_member(strasbourg, Role.LECTEUR, username="ogc.strasbourg")
    poles = {
        "metz_network": make_pole(metz, METZ, "Pôle réseau Metz", Visibility.NETWORK),
        "metz_private": make_pole(metz, WOIPPY, "Pôle privé Metz"),
        "strasbourg_private": make_pole(strasbourg, STRASBOURG, "Pôle privé Strasbourg"),
    }
    sites = {
        "metz_network": make_site(metz, METZ, site_nom="ZAE réseau Metz", visibility=Visibility.NETWORK),
        "metz_private": make_site(metz, WOIPPY, site_nom="ZAE privée Metz"),
        "strasbourg_private": make_site(strasbourg, STRASBOURG, site_nom="ZAE privée Strasbourg"),
        "strasbourg_shared": make_site(strasbourg, STRASBOURG, site_nom="ZAE partagée Strasbourg"),
    }
    sites["strasbourg_shared"].shared_with.add(metz)
    sites["metz_network"].pole_eco = poles["metz_network"]
    sites["metz_network"].save()
    personal = {"terr_acquereur": BUYER, "terr_vente_montant": 250_000.0, "terr_m2_prix": 35.0}
    terrains = {
        "metz_network": make_terrain(sites["metz_network"], 2.5, **personal),
        "metz_network_shared_personal": make_terrain(
            sites["metz_network"], 1.5, personal_shared=True, **personal
        ),
        "metz_private": make_terrain(sites["metz_private"], 3.0, **personal),
        "strasbourg_private": make_terrain(sites["strasbourg_private"], 4.0),
    }
    friches = {
        "metz_network": make_friche(
            metz, METZ, site_nom="Friche réseau Metz", proprio_nom=OWNER_NAME, visibility=Visibility.NETWORK
        ),
        "metz_private": make_friche(metz, WOIPPY, site_nom="Friche privée Metz", proprio_nom=OWNER_NAME),
        "strasbourg_private": make_friche(strasbourg, STRASBOURG, site_nom="Friche privée Strasbourg"),
    }
    system = (
        Actor.system_actor()
    )  # readers create nothing: the perimeters are written as the command line does
    perimeters = {
        "metz_network": perimeter_create(
            actor=system,
            owner=metz,
            name="Périmètre réseau Metz",
            members=[METZ, WOIPPY],
            visibility=Visibility.NETWORK,
        ),
        "metz_private": perimeter_create(
            actor=system, owner=metz, name="Périmètre privé Metz", members=[WOIPPY]
        ),
        "strasbourg_private": perimeter_create(
            actor=system, owner=strasbourg, name="Périmètre privé Strasbourg", members=[STRASBOURG_EPCI]
        ),
    }
    return {
        "metz": metz,
        "strasbourg": strasbourg,
        "metz_user": metz_user,
        "strasbourg_user": strasbourg_user,
        "metz_token": Token.objects.create(user=metz_user).key,
        "strasbourg_token": Token.objects.create(user=strasbourg_user).key,
        "poles": poles,
        "sites": sites,
        "terrains": terrains,
        "friches": friches,
        "perimeters": perimeters,
    }


# What each user sees, by construction (owner, visibility « réseau », sharing by name): the test oracle.
VISIBLE = {
    "metz_user": {
        "poles": {"metz_network", "metz_private"},
        "sites": {"metz_network", "metz_private", "strasbourg_shared"},
        "terrains": {"metz_network", "metz_network_shared_personal", "metz_private"},
        "friches": {"metz_network", "metz_private"},
        "perimeters": {"metz_network", "metz_private"},
    },
    "strasbourg_user": {
        "poles": {"metz_network", "strasbourg_private"},
        "sites": {"metz_network", "strasbourg_private", "strasbourg_shared"},
        "terrains": {"metz_network", "metz_network_shared_personal", "strasbourg_private"},
        "friches": {"metz_network", "strasbourg_private"},
        "perimeters": {"metz_network", "strasbourg_private"},
    },
}
# Collection id → the world's key.
COLLECTION_KEYS = {
    "poles": "poles",
    "sites": "sites",
    "terrains": "terrains",
    "friches": "friches",
    "perimetres": "perimeters",
}
