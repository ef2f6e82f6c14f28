from pathlib import Path

from tandem.core.commands import TandemCommand
from tandem.organizations.perms import Actor
from tandem.prospects.labour import bmo_import


class Command(TandemCommand):
    help = "Importe l'enquête Besoins en main-d'œuvre (BMO) de France Travail et la table communes → bassins."

    def add_arguments(self, parser):
        parser.add_argument("--bmo", required=True, type=Path, help="fichier BMO (CSV, éventuellement .gz)")
        parser.add_argument("--bassins", required=True, type=Path, help="table communes → bassins BMO (CSV)")

    def handle(self, *args, **options):
        result = bmo_import(
            actor=Actor.system_actor(), bmo_path=options["bmo"], bassins_path=options["bassins"]
        )
        self.stdout.write(
            f"{result.basins} bassins, {result.communes} communes ; métiers : {result.created} créés, "
            f"{result.updated} modifiés, {result.unchanged} inchangés."
        )
