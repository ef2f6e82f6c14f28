"""What the OpenAPI schema of /api/v1/ says beyond what drf-spectacular infers from the views: the error
answers every operation may give (tandem.api.exceptions), so a client — and the schemathesis test
(tests/api/test_schemathesis.py) — finds every status code the API sends documented, with its body."""

ERROR_COMPONENT = "Erreur"
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Message d'erreur en français (`detail`), les problèmes d'un fichier ou d'une saisie (`problems`), "
        "ou, pour une saisie refusée, la liste des messages de chaque champ."
    ),
    "properties": {
        "detail": {"type": "string"},
        "problems": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": True,
}
# status -> description, for every operation (the API's exception handler and DRF's own answers)
ERROR_RESPONSES = {
    "400": "Requête invalide : paramètre, filtre ou saisie refusé (message en français).",
    "401": "Authentification requise (jeton ou session).",
    "403": "Action non permise sur cet objet visible (message en français).",
    "404": "Introuvable, non visible pour l'utilisateur, ou page de résultats hors limites.",
    "406": "Format de réponse demandé (en-tête Accept) non disponible.",
}


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result
