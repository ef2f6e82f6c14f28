from pathlib import Path

from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor
from tandem.skills.importers import certifinfo_import


class Command(ImportCommand):
    help = "Importe les certifications Certif Info et en dérive la correspondance Formacode ↔ ROME."

    def add_arguments(self, parser):
        parser.add_argument(
            "--certifications", required=True, type=Path, help="certif_info.csv (Certif Info)"
        )
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, **options):
        result = certifinfo_import(
            actor=Actor.system_actor(), path=options["certifications"], dry_run=options["dry_run"]
        )
        self.write_report(result.run)
