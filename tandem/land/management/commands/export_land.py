"""tandem export_land --epci SIREN|--region CODE --format {csv,geojson,gpkg} [--output DIR] [--strict]"""

from pathlib import Path

from tandem.core.commands import TandemCommand
from tandem.land.exports import FORMATS, land_export
from tandem.organizations.perms import Actor


class Command(TandemCommand):
    help = "Exporte l'inventaire foncier aux formats CNIG (un fichier par table, nommé d'après elle)."

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--epci", help="SIREN de l'EPCI")
        scope.add_argument("--region", help="code INSEE de la région")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument(
            "--output", type=Path, default=Path.cwd(), help="dossier de sortie (défaut : courant)"
        )
        parser.add_argument(
            "--strict", action="store_true", help="colonnes CNIG seules (sans les colonnes tdm_*)"
        )

    def handle(self, *args, **options):
        paths = land_export(
            actor=Actor.system_actor(),
            fmt=options["format"],
            output_dir=options["output"],
            epci_siren=options["epci"],
            region_code=options["region"],
            strict=options["strict"],
        )
        for path in paths:
            self.stdout.write(str(path))
