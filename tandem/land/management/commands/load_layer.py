from pathlib import Path

from tandem.core.commands import TandemCommand
from tandem.land.models import DISTANCE_KINDS, LayerKind
from tandem.land.services import reference_layer_load


class Command(TandemCommand):
    help = (
        "Charge une couche de référence (GeoJSON, GeoPackage ou Shapefile zippé ; Lambert-93 ou WGS84), "
        "remplace la couche du même type et calcule les distances de chaque site et terrain."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", required=True, choices=LayerKind.values, help="type de couche")
        parser.add_argument("--dry-run", action="store_true", help="valider et compter sans rien écrire")

    def handle(self, *args, **opts):
        result = reference_layer_load(kind=opts["kind"], path=opts["file"], dry_run=opts["dry_run"])
        label = LayerKind(result.kind).label
        lines = [
            f"Couche « {label} » : {result.features} entité(s) lue(s) dans {result.source_name} "
            f"({result.crs_label}).",
            "Fichier identique à la couche déjà chargée : couche inchangée."
            if result.unchanged_file
            else "Couche remplacée.",
            f"{DISTANCE_KINDS[result.kind].label[:1].upper()}{DISTANCE_KINDS[result.kind].label[1:]} : "
            f"{result.sites_changed} site(s) et {result.terrains_changed} terrain(s) modifié(s).",
        ]
        if result.dry_run:
            lines.append("Simulation (--dry-run) : rien n'a été enregistré.")
        self.stdout.write("\n".join(lines))
