"""What a page's map shows, for `www/_map.html` and `static/www/map.js` (MapLibre GL JS).

Every map draws the base context — région, département, EPCI and commune outlines and names, Tandem's own
vector tiles from the loaded geography — so that it shows where things are without the internet base map
(`TANDEM_TILE_URL`, optional). On top: vector-tile layers (land, establishments, perimeters: everything the user
may see, with no cap, each tile through the permission layer) and the page's own few objects as GeoJSON
(a site's outline, a prospect's candidates). Presentation only: what a layer holds is decided by the selectors.
"""

from __future__ import annotations

from django.urls import reverse

from tandem.land.selectors import LAYER_MIN_ZOOM

# A tile layer's features link to the sheet of their object: `{property}` is replaced in the browser.
_SENTINEL = 987654321
TILE_MINZOOM = {"etablissements": 12}


def _template(name: str, prop: str) -> str:
    return reverse(name, args=[_SENTINEL]).replace(str(_SENTINEL), "{" + prop + "}")


def _tile_template(name: str, layer: str, query: str = "") -> str:
    url = reverse(name, args=[layer, 1111111, 2222222, 3333333])
    url = url.replace("1111111", "{z}").replace("2222222", "{x}").replace("3333333", "{y}")
    return url + (f"?{query}" if query else "")


def sheet_links() -> dict[str, str]:
    """Per layer, the address of a feature's sheet (a template over the feature's properties)."""
    return {
        "sites": _template("www:land:site_detail", "id"),
        "terrains": _template("www:land:site_detail", "site"),
        "friches": _template("www:land:friche_detail", "id"),
        "perimetres": _template("www:perimeter_detail", "id"),
        "etablissements": reverse("www:companies:detail", args=["SIREN"]).replace("SIREN", "{siren}"),
        "epcis": reverse("www:epci_detail", args=["SIREN"]).replace("SIREN", "{code}"),
        "communes": reverse("www:commune_detail", args=["CODE"]).replace("CODE", "{code}"),
        "installations": _template("www:decarbonation:installation", "id"),
    }


def land_tiles(*layers: str, query: str = "") -> list[dict]:
    """Vector-tile layers of the land inventory (`sites`, `terrains`, `friches`), narrowed by the page's
    filters (`query`, the page's query string: the tile view applies the same filters). Several layers come
    in ONE tile source (`layers`: the MVT layers of each tile, `tuiles/sites,terrains,friches/…`): the map asks
    one tile per place instead of one per layer (each request pays the session, the user's permissions…).
    `minzooms`: the zoom from which a layer is drawn (`land.selectors.LAYER_MIN_ZOOM`, the tiles' own rule:
    terrains from zoom 10), the `minzoom` of its style in map.js."""
    minzooms = {name: LAYER_MIN_ZOOM[name] for name in layers if name in LAYER_MIN_ZOOM}
    if len(layers) == 1:
        return [
            {
                "name": layers[0],
                "url": _tile_template("www:land:tile", layers[0], query),
                "minzoom": minzooms.get(layers[0], 0),
                "minzooms": minzooms,
            }
        ]
    return [
        {
            "name": "foncier",
            "url": _tile_template("www:land:tile", ",".join(layers), query),
            "layers": list(layers),
            "minzooms": minzooms,
        }
    ]


def map_tiles(*layers: str, query: str = "") -> list[dict]:
    """Vector-tile layers served by `www:map_tile` (`etablissements`, `perimetres`, `installations`)."""
    return [
        {"name": n, "url": _tile_template("www:map_tile", n, query), "minzoom": TILE_MINZOOM.get(n, 0)}
        for n in layers
    ]


def map_config(
    *,
    label: str,
    layers: dict | None = None,
    tiles: list[dict] | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    list_title: str = "Objets de la carte",
) -> dict:
    """The map of a page: `label` names it for assistive technologies; `layers` are GeoJSON feature collections
    by name (the page's objects), `tiles` vector-tile layers, `bounds` (WGS84 west, south, east, north) where it
    opens (else on its GeoJSON objects, else on the Grand Est)."""
    return {
        "label": label,
        "list_title": list_title,
        "context": _tile_template("www:map_tile", "contexte"),
        "layers": {k: v for k, v in (layers or {}).items() if isinstance(v, dict)},
        "tiles": tiles or [],
        "bounds": list(bounds) if bounds else None,
        "links": sheet_links(),
    }
