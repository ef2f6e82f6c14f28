from pathlib import Path

from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor
from tandem.prospects.labour import bmo_import


class Command(ImportCommand):
    help = "Importe l'enquête Besoins en main-d'œuvre (BMO) de France Travail et la table communes → bassins."

    def add_arguments(self, parser):
        parser.add_argument("--bmo", required=True, type=Path, help="fichier BMO (CSV, éventuellement .gz)")
        parser.add_argument("--bassins", required=True, type=Path, help="table communes → bassins BMO (CSV)")
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, **options):
        result = bmo_import(
            actor=Actor.system_actor(),
            bmo_path=options["bmo"],
            bassins_path=options["bassins"],
            dry_run=options["dry_run"],
        )
        self.write_report(result.run)
