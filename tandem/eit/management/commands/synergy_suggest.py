"""`tandem synergy_suggest ACTORS.csv`: ranked synergies between establishments known by their activity.

A thin wrapper over the pure engine (`tandem.eit.engine`): it reads no database and writes nothing.
"""

import csv
import json
from pathlib import Path

from django.conf import settings

from tandem.core.commands import TandemCommand
from tandem.core.errors import UserError
from tandem.eit.engine import load_reference, read_actors_csv, read_precedents_csv, suggest


class Command(TandemCommand):
    help = (
        "Propose des synergies d'écologie industrielle entre les établissements d'un fichier CSV "
        "(colonnes id;name;activity;naf;latitude;longitude, seules id et activity obligatoires)."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("actors", type=Path, help="fichier des établissements (CSV séparé par « ; »)")
        parser.add_argument("--limit", type=int, default=None, help="nombre maximal de suggestions")
        parser.add_argument("--format", choices=("json", "csv"), default="json", help="format de sortie")
        parser.add_argument(
            "--reference",
            type=Path,
            default=None,
            help="dossier des référentiels EIT (par défaut TANDEM_EIT_REFERENCE_DIR)",
        )
        parser.add_argument(
            "--precedents", type=Path, default=None, help="fichier des échanges documentés par secteur (CSV)"
        )

    def handle(self, *args, **options):
        reference_dir = options["reference"] or settings.TANDEM_EIT_REFERENCE_DIR
        if not reference_dir:
            raise UserError(
                "Dossier des référentiels EIT non configuré : passer --reference ou définir TANDEM_EIT_REFERENCE_DIR."
            )
        if options["limit"] is not None and options["limit"] < 1:
            raise UserError("--limit doit être un entier positif.")
        actors = read_actors_csv(options["actors"])
        ref = load_reference(reference_dir)
        precedents = read_precedents_csv(options["precedents"]) if options["precedents"] else None
        synergies = suggest(actors, ref, precedents=precedents).synergies[: options["limit"]]
        rows = [s.as_dict() for s in synergies]
        if options["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        writer = csv.writer(self.stdout, delimiter=";", lineterminator="\n")
        writer.writerow(["supplier", "receiver", "kind", "ewc", "label", "score", "reasons"])
        for row in rows:
            writer.writerow(
                [row[k] for k in ("supplier", "receiver", "kind", "ewc", "label", "score")]
                + [" | ".join(row["reasons"])]
            )
