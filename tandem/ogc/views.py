"""The OGC API – Features at /ogc/ (read-only, for QGIS and other GIS clients): thin views over
`tandem.ogc.selectors` and `tandem.ogc.documents`.

Authentication: the web session, or the user's API token in the `Authorization: Token …` header (DRF's
token, the same as /api/v1/; never in the URL, where it would end up in logs). Unauthenticated requests get a
JSON 401; bad parameters a JSON 400 with a French message; what the user may not see a 404.
"""

from __future__ import annotations

import datetime as dt
import functools
import json

from django.http import Http404, HttpResponse
from django.urls import reverse
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from tandem.core.problems import UserError
from tandem.ogc import documents as doc
from tandem.ogc import params as p
from tandem.ogc import selectors as sel
from tandem.organizations.perms import Actor


def _error(status: int, code: str, description: str, **headers) -> HttpResponse:
    body = json.dumps({"code": code, "description": description}, ensure_ascii=False)
    response = HttpResponse(body, status=status, content_type=f"{doc.JSON}; charset=utf-8")
    for name, value in headers.items():
        response[name] = value
    return response


def request_actor(request) -> Actor | None:
    """The actor of an OGC request: the token's user when an `Authorization: Token …` header is sent, else
    the session's; None when neither authenticates."""
    if request.headers.get("Authorization"):
        try:
            authenticated = TokenAuthentication().authenticate(request)
        except AuthenticationFailed:
            return None
        return Actor.for_user(authenticated[0]) if authenticated else None
    user = getattr(request, "user", None)
    return request.actor if user is not None and user.is_authenticated else None


def _accepts_json(request) -> bool:
    accept = request.headers.get("Accept", "")
    return not accept or any(t in accept for t in ("json", "*/*", "application/*"))


def ogc_view(allowed_params: frozenset[str]):
    """GET only; authentication; `f` and Accept; unknown parameters, user errors and 404 as OGC JSON
    exceptions. The view receives the actor and returns (document, media type, extra headers)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return _error(
                    405, "MethodNotAllowed", "Service en lecture seule : seule la méthode GET est acceptée."
                )
            actor = request_actor(request)
            if actor is None or not actor.is_authenticated:
                return _error(
                    401,
                    "NotAuthenticated",
                    "Authentification requise : envoyez l'en-tête « Authorization: Token <votre jeton> » "
                    "(jeton créé dans Tandem, page « Jeton d'accès ») ou connectez-vous.",
                    **{"WWW-Authenticate": "Token"},
                )
            try:
                p.check_known(request.GET, allowed_params)
                p.parse_format(request.GET)
                if "f" not in request.GET and not _accepts_json(request):
                    return _error(
                        406,
                        "NotAcceptable",
                        "Format non disponible : ce service répond en JSON (application/json, "
                        "application/geo+json).",
                    )
                body, media, headers = view(request, actor, *args, **kwargs)
            except UserError as error:
                return _error(400, "InvalidParameterValue", error.message)
            except Http404:
                return _error(404, "NotFound", "Introuvable.")
            text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
            response = HttpResponse(
                text, content_type=f"{media}; charset=utf-8" if "version" not in media else media
            )
            for name, value in headers.items():
                response[name] = value
            return response

        return wrapper

    return decorator


def _base(request) -> str:
    return request.build_absolute_uri(reverse("ogc:landing")).rstrip("/")


@ogc_view(p.COMMON_PARAMS)
def landing(request, actor):
    return doc.landing_page(_base(request)), doc.JSON, {}


@ogc_view(p.COMMON_PARAMS)
def conformance(request, actor):
    return doc.conformance(), doc.JSON, {}


@ogc_view(p.COMMON_PARAMS)
def service_description(request, actor):
    return doc.openapi(_base(request), list(sel.COLLECTIONS)), doc.OPENAPI, {}


@ogc_view(p.COMMON_PARAMS)
def collections(request, actor):
    base = _base(request)
    described = [
        doc.collection_document(base, c, sel.collection_extent(actor, c)) for c in sel.COLLECTIONS.values()
    ]
    return doc.collections_document(base, described), doc.JSON, {}


@ogc_view(p.COMMON_PARAMS)
def collection(request, actor, collection_id):
    c = sel.collection_or_404(collection_id)
    return doc.collection_document(_base(request), c, sel.collection_extent(actor, c)), doc.JSON, {}


@ogc_view(p.COMMON_PARAMS)
def schema(request, actor, collection_id):
    c = sel.collection_or_404(collection_id)
    return doc.feature_schema(_base(request), c, sel.property_types(c)), doc.JSON_SCHEMA, {}


def _page_url(request, **changes) -> str:
    query = request.GET.copy()
    for name, value in changes.items():
        query[name] = str(value)
    encoded = query.urlencode()
    return request.build_absolute_uri(f"{request.path}?{encoded}" if encoded else request.path)


@ogc_view(p.ITEMS_PARAMS)
def items(request, actor, collection_id):
    c = sel.collection_or_404(collection_id)
    query = request.GET
    crs = p.parse_crs(query.get("crs"))
    bbox_crs = p.parse_crs(query.get("bbox-crs"), name="bbox-crs")
    bbox = p.parse_bbox(query.get("bbox"), bbox_crs)
    interval = p.parse_datetime(query.get("datetime"))
    limit, offset = p.parse_limit(query.get("limit")), p.parse_offset(query.get("offset"))
    matching = sel.visible_features(actor, c, bbox=bbox, bbox_crs=bbox_crs, interval=interval)
    matched = matching.count()
    features = sel.features_geojson(actor, c, matching.order_by("pk")[offset : offset + limit], crs=crs)
    collection_url = f"{_base(request)}/collections/{c.id}"
    links = [
        doc.link(_page_url(request), "self", doc.GEOJSON, "Cette page"),
        doc.link(collection_url, "collection", doc.JSON, c.title),
    ]
    if offset + len(features) < matched:
        links.append(
            doc.link(
                _page_url(request, offset=offset + limit, limit=limit), "next", doc.GEOJSON, "Page suivante"
            )
        )
    if offset > 0:
        links.append(
            doc.link(
                _page_url(request, offset=max(offset - limit, 0), limit=limit),
                "prev",
                doc.GEOJSON,
                "Page précédente",
            )
        )
    envelope = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "links": links,
    }
    # The features are GeoJSON text from PostGIS: spliced into the envelope, never parsed here.
    text = json.dumps(envelope, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(features) + "]}"
    return text, doc.GEOJSON, {"Content-Crs": f"<{crs}>"}


@ogc_view(p.ITEM_PARAMS)
def item(request, actor, collection_id, feature_id):
    c = sel.collection_or_404(collection_id)
    crs = p.parse_crs(request.GET.get("crs"))
    feature = sel.feature_geojson(actor, c, feature_id, crs=crs)
    collection_url = f"{_base(request)}/collections/{c.id}"
    links = [
        doc.link(_page_url(request), "self", doc.GEOJSON, "Cet objet"),
        doc.link(collection_url, "collection", doc.JSON, c.title),
    ]
    text = feature[:-1] + ',"links":' + json.dumps(links, ensure_ascii=False) + "}"
    return text, doc.GEOJSON, {"Content-Crs": f"<{crs}>"}
