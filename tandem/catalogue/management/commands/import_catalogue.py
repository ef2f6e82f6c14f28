"""tandem import_catalogue {operators FOLDER | tee FOLDER [--extra-yaml F…] | aides-territoires FILE |
grand-est FILE.json --mapping FOLDER} [--dry-run]"""

from pathlib import Path

from django.core.management.base import CommandError

from tandem.catalogue.importers import (
    aides_territoires_import,
    grand_est_import,
    operators_import,
    tee_import,
)
from tandem.imports.commands import ImportCommand
from tandem.organizations.perms import Actor


class Command(ImportCommand):
    help = (
        "Importe le catalogue : opérateurs et antennes (dossier operators/), programmes de la Mission "
        "Transition Écologique (dossier tee/) ou export Aides-territoires (CSV)."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["operators", "tee", "aides-territoires", "grand-est"])
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--extra-yaml", type=Path, nargs="*", default=[], help="programmes au format TEE en plus"
        )
        parser.add_argument(
            "--mapping", type=Path, help="dossier des tables de correspondance de l'API des aides Grand Est"
        )
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, what, path, extra_yaml, mapping, dry_run, **options):
        actor = Actor.system_actor()
        if what == "operators":
            result = operators_import(folder=path, actor=actor, dry_run=dry_run)
        elif what == "tee":
            result = tee_import(folder=path, actor=actor, extra_yaml=extra_yaml, dry_run=dry_run)
        elif what == "grand-est":
            if mapping is None:
                raise CommandError("--mapping DOSSIER est obligatoire pour les aides de la Région Grand Est.")
            result = grand_est_import(path=path, mapping_folder=mapping, actor=actor, dry_run=dry_run)
        else:
            result = aides_territoires_import(path=path, actor=actor, dry_run=dry_run)
        self.write_report(result.run)
