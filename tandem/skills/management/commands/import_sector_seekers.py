from pathlib import Path

from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor
from tandem.skills.importers import sector_seekers_import


class Command(ImportCommand):
    help = (
        "Importe les demandeurs d'emploi par secteur d'activité et bassin d'emploi 2019 "
        "(après les indicateurs de tension, qui apportent les bassins)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "fichier", type=Path, help="code_bassin;demandeurs_emploi;secteur_libelle (CSV « ; »)"
        )
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, **options):
        result = sector_seekers_import(
            actor=Actor.system_actor(), path=options["fichier"], dry_run=options["dry_run"]
        )
        self.write_report(result.run)
