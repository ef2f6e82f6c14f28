from pathlib import Path

from tandem.core.commands import TandemCommand
from tandem.land.consumption import naf_consumption_import


class Command(TandemCommand):
    help = "Importe le fichier communal du Cerema de consommation d'espaces NAF (idcom, nafAAartBB, artAAactBB… en m²)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="valider sans rien écrire")

    def handle(self, *args, **opts):
        result = naf_consumption_import(path=opts["file"], dry_run=opts["dry_run"])
        for warning in result.warnings:
            self.stdout.write(f"avertissement : {warning}")
        years = f"{result.years[0]}–{result.years[-1]}" if result.years else "aucune"
        self.stdout.write(
            f"{result.rows} commune(s), années {years} : {result.created} ligne(s) créée(s), "
            f"{result.updated} modifiée(s), {result.unchanged} inchangée(s)"
            + (" (simulation : rien n'a été écrit)" if opts["dry_run"] else "")
        )
