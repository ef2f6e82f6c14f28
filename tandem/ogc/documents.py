"""The JSON documents of the OGC API – Features: landing page, conformance declaration, collection
descriptions and the OpenAPI 3.0 service description. Titles and descriptions are in French.

`base` is the absolute URL of the API's landing page, without its trailing slash (`https://host/ogc`).
"""

from __future__ import annotations

from tandem.ogc.params import CRS_LIST, LIMIT_DEFAULT, LIMIT_MAX, OFFSET_MAX, STORAGE_CRS

JSON = "application/json"
GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
JSON_SCHEMA = "application/schema+json"

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
TITLE = "Tandem – inventaire foncier économique (OGC API – Entités)"
DESCRIPTION = (
    "Pôles, sites et terrains économiques, friches et périmètres de Tandem, en lecture seule, tels que "
    "l'utilisateur authentifié les voit dans l'application (jeton d'accès : en-tête « Authorization: Token … »)."
)


def link(href: str, rel: str, type_: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": type_, "title": title}


def landing_page(base: str) -> dict:
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "links": [
            link(f"{base}/", "self", JSON, "Cette page"),
            link(f"{base}/api", "service-desc", OPENAPI, "Description du service (OpenAPI 3.0)"),
            link(f"{base}/conformance", "conformance", JSON, "Classes de conformité"),
            link(
                f"{base}/conformance",
                "http://www.opengis.net/def/rel/ogc/1.0/conformance",
                JSON,
                "Classes de conformité",
            ),
            link(f"{base}/collections", "data", JSON, "Collections"),
            link(f"{base}/collections", "http://www.opengis.net/def/rel/ogc/1.0/data", JSON, "Collections"),
        ],
    }


def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


def collection_document(base: str, collection, extent: dict) -> dict:
    url = f"{base}/collections/{collection.id}"
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "itemType": "feature",
        "extent": extent,
        "crs": CRS_LIST,
        "storageCrs": STORAGE_CRS,
        "links": [
            link(url, "self", JSON, collection.title),
            link(f"{url}/items", "items", GEOJSON, f"{collection.title} (GeoJSON)"),
            # The attributes' types, so that a client types a column even when its first values are empty.
            link(f"{url}/schema", "describedby", JSON_SCHEMA, f"Schéma des objets : {collection.title}"),
        ],
    }


def feature_schema(base: str, collection, properties) -> dict:
    """The JSON Schema of the collection's features (a GeoJSON Feature whose properties are typed).
    `properties`: (name, JSON type, format, title) as `selectors.property_types` gives them."""

    def prop(json_type, fmt, title):
        schema = {"type": json_type, "title": title}
        if fmt:
            schema["format"] = fmt
        if json_type == "array":
            schema["items"] = {"type": "string"}
        return schema

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{collection.id}/schema",
        "title": collection.title,
        "description": collection.description,
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer", "title": "identifiant Tandem"},
            "geometry": {"type": "object", "title": "géométrie"},
            "properties": {
                "type": "object",
                "properties": {name: prop(t, f, title) for name, t, f, title in properties},
            },
        },
    }


def collections_document(base: str, collections: list[dict]) -> dict:
    return {
        "links": [link(f"{base}/collections", "self", JSON, "Collections")],
        "crs": CRS_LIST,
        "collections": collections,
    }


def _parameter(name: str, description: str, schema: dict, *, where: str = "query", **extra) -> dict:
    return {"name": name, "in": where, "description": description, "schema": schema, **extra}


def openapi(base: str, collection_ids: list[str]) -> dict:
    """The service description (OpenAPI 3.0): every path, parameter and response of this API."""
    crs_schema = {"type": "string", "format": "uri", "enum": CRS_LIST, "default": CRS_LIST[0]}
    parameters = {
        "f": _parameter("f", "Format de la réponse (JSON uniquement).", {"type": "string", "enum": ["json"]}),
        "collectionId": _parameter(
            "collectionId",
            "Identifiant de la collection.",
            {"type": "string", "enum": collection_ids},
            where="path",
            required=True,
        ),
        "featureId": _parameter(
            "featureId", "Identifiant de l'objet.", {"type": "string"}, where="path", required=True
        ),
        "bbox": _parameter(
            "bbox",
            "Emprise : ouest, sud, est, nord (dans le système de bbox-crs, CRS84 par défaut).",
            {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
            style="form",
            explode=False,
        ),
        "bbox-crs": _parameter("bbox-crs", "Système de coordonnées de bbox.", crs_schema),
        "crs": _parameter("crs", "Système de coordonnées des géométries renvoyées.", crs_schema),
        "limit": _parameter(
            "limit",
            "Nombre maximal d'objets renvoyés par page.",
            {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT},
            style="form",
            explode=False,
        ),
        "offset": _parameter(
            "offset",
            "Rang du premier objet renvoyé (pagination).",
            {"type": "integer", "minimum": 0, "maximum": OFFSET_MAX, "default": 0},
        ),
        "datetime": _parameter(
            "datetime",
            "Date de dernière modification dans Tandem (propriété tdm_modifie_le) : un instant ou un "
            "intervalle « début/fin » (« .. » pour une borne ouverte), RFC 3339.",
            {"type": "string"},
            style="form",
            explode=False,
        ),
    }

    def ref(name):
        return {"$ref": f"#/components/parameters/{name}"}

    def json_response(description, media=JSON):
        return {"description": description, "content": {media: {"schema": {"type": "object"}}}}

    bad_request = json_response("Paramètre invalide (message en français).")
    # A parameter holding a NUL character is refused before the API by the site-wide filter, in plain text.
    bad_request["content"]["text/plain"] = {"schema": {"type": "string"}}
    errors = {
        "400": bad_request,
        "401": json_response("Authentification requise."),
        "404": json_response("Introuvable (ou non visible pour l'utilisateur)."),
        "406": json_response("Format demandé non disponible."),
    }

    def get(summary, operation_id, params, ok, media=JSON):
        return {
            "get": {
                "summary": summary,
                "operationId": operation_id,
                "parameters": [ref(p) for p in params],
                "responses": {"200": json_response(ok, media), **errors},
            }
        }

    return {
        "openapi": "3.0.3",
        "info": {"title": TITLE, "description": DESCRIPTION, "version": "1.0.0"},
        "servers": [{"url": base}],
        "security": [{"jeton": []}, {"session": []}],
        "paths": {
            "/": get("Page d'accueil", "getLandingPage", ["f"], "Liens vers les ressources du service."),
            "/conformance": get("Classes de conformité", "getConformance", ["f"], "Classes de conformité."),
            "/api": get("Description du service", "getApi", ["f"], "Ce document.", OPENAPI),
            "/collections": get("Collections", "getCollections", ["f"], "Les collections."),
            "/collections/{collectionId}": get(
                "Description d'une collection", "describeCollection", ["collectionId", "f"], "La collection."
            ),
            "/collections/{collectionId}/schema": get(
                "Schéma des objets d'une collection",
                "getSchema",
                ["collectionId", "f"],
                "Le schéma JSON des objets.",
                JSON_SCHEMA,
            ),
            "/collections/{collectionId}/items": get(
                "Objets d'une collection",
                "getFeatures",
                ["collectionId", "f", "bbox", "bbox-crs", "limit", "offset", "datetime", "crs"],
                "Les objets (FeatureCollection GeoJSON).",
                GEOJSON,
            ),
            "/collections/{collectionId}/items/{featureId}": get(
                "Un objet",
                "getFeature",
                ["collectionId", "featureId", "f", "crs"],
                "L'objet (GeoJSON).",
                GEOJSON,
            ),
        },
        "components": {
            "parameters": parameters,
            "securitySchemes": {
                "jeton": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "« Token » suivi du jeton d'accès créé dans Tandem (menu de votre compte).",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "sessionid"},
            },
        },
    }
