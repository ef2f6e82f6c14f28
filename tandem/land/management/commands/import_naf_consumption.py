from pathlib import Path

from tandem.imports.commands import ImportCommand
from tandem.land.consumption import naf_consumption_import


class Command(ImportCommand):
    help = "Importe le fichier communal du Cerema de consommation d'espaces NAF (idcom, nafAAartBB, artAAactBB… en m²)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="valider sans rien écrire")

    def handle(self, *args, **opts):
        result = naf_consumption_import(path=opts["file"], dry_run=opts["dry_run"])
        self.write_report(result.run)
