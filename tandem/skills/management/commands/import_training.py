from pathlib import Path

from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor
from tandem.skills.importers import training_import


class Command(ImportCommand):
    help = "Importe l'offre de formation (sessions, présentation décrite dans docs/skills.md), CSV ou XLSX."

    def add_arguments(self, parser):
        parser.add_argument("fichier", type=Path, help="fichier des sessions (CSV ou XLSX)")
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, **options):
        result = training_import(
            actor=Actor.system_actor(), path=options["fichier"], dry_run=options["dry_run"]
        )
        self.write_report(result.run)
