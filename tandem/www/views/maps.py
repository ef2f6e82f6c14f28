"""Vector tiles of the maps beside the land ones (`/foncier/tuiles/`): the base context (boundaries and names),
SIRENE establishments and custom perimeters. Each comes from its app's selector, through the permission layer."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotModified

from tandem.companies.selectors import establishment_tile
from tandem.core.ids import parse_id
from tandem.decarbonation.selectors import installation_tile
from tandem.skills.selectors import zone_tile
from tandem.steering.perms import can_read_steering
from tandem.steering.selectors import epci_indicator_tile
from tandem.territories.selectors import context_tile, perimeter_tile


def _tile_headers(response: HttpResponse, *, shared: bool, etag: str | None) -> HttpResponse:
    response["Cache-Control"] = f"private, max-age={3600 if shared else 60}"
    if not shared:
        response["Vary"] = "Cookie"
    if etag:
        response["ETag"] = etag
    return response


def tile_response(data: bytes, *, shared: bool = False, etag: str | None = None) -> HttpResponse:
    """A Mapbox vector tile. What a tile holds depends on who asks (except the public context): cached by
    the user's browser only; with `etag` (the tile's version for this user), revalidated once stale."""
    response = HttpResponse(data, content_type="application/vnd.mapbox-vector-tile")
    return _tile_headers(response, shared=shared, etag=etag)


def tile_not_modified(etag: str) -> HttpResponse:
    """The answer to a revalidation of an unchanged tile (`If-None-Match` holds its ETag): 304, no body."""
    return _tile_headers(HttpResponseNotModified(), shared=False, etag=etag)


@login_required
def map_tile(request, layer: str, z: int, x: int, y: int):
    if layer == "contexte":
        return tile_response(context_tile(z=z, x=x, y=y), shared=True)
    if layer == "etablissements":
        return tile_response(establishment_tile(request.actor, z=z, x=x, y=y))
    if layer == "installations":
        return tile_response(installation_tile(request.actor, z=z, x=x, y=y))
    if layer == "perimetres":
        ids = [parse_id(v) for v in request.GET.getlist("id")]
        if any(i is None for i in ids):
            raise Http404("Tuile inconnue.")
        return tile_response(perimeter_tile(request.actor, z=z, x=x, y=y, perimeter_ids=ids or None))
    if layer == "epcis":  # the steering map: EPCI shaded by a frozen indicator (aggregates, no object)
        if not can_read_steering(request.actor):
            raise Http404("Tuile inconnue.")
        indicator = request.GET.get("indicateur")
        return tile_response(epci_indicator_tile(z=z, x=x, y=y, indicator=indicator), shared=True)
    if layer == "zones_emploi":
        return tile_response(zone_tile(request.actor, z=z, x=x, y=y), shared=True)
    raise Http404("Tuile inconnue.")
