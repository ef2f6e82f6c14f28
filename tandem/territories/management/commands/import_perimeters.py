from pathlib import Path

from tandem.core.errors import UserError
from tandem.imports.commands import ImportCommand
from tandem.organizations.models import Organization, Visibility
from tandem.organizations.perms import Actor
from tandem.territories.models import Perimeter
from tandem.territories.perimeters import perimeters_import


class Command(ImportCommand):
    help = "Importe des périmètres personnalisés (CSV ou GeoJSON : nom, code, SIREN d'EPCI ou codes INSEE)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--owner", required=True, help="identifiant (slug) de l'organisation propriétaire"
        )
        parser.add_argument("--kind", default=Perimeter.Kind.AUTRE, choices=Perimeter.Kind.values)
        parser.add_argument("--visibility", default=Visibility.NETWORK, choices=Visibility.values)
        parser.add_argument("--region", help="ne garder que les communes de cette région (code INSEE)")
        parser.add_argument("--dry-run", action="store_true", help="contrôler et compter sans rien écrire")

    def handle(self, *args, **opts):
        owner = Organization.objects.filter(slug=opts["owner"]).first()
        if owner is None:
            raise UserError(f"Organisation « {opts['owner']} » introuvable.")
        result = perimeters_import(
            actor=Actor.system_actor(owner.pk),
            owner=owner,
            path=opts["file"],
            kind=opts["kind"],
            visibility=opts["visibility"],
            only_region=opts["region"],
            dry_run=opts["dry_run"],
        )
        self.write_report(result.run)
