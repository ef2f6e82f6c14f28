from django.conf import settings

from tandem.core.commands import TandemCommand
from tandem.demo.services import SCALES, demo_generate


class Command(TandemCommand):
    help = "Génère des données de démonstration fictives et déterministes sur la géographie réelle."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--scale", choices=SCALES, default="demo")
        parser.add_argument("--region", default="44", help="code INSEE de la région de démonstration")

    def handle(self, *args, **opts):
        result = demo_generate(seed=opts["seed"], scale=opts["scale"], region_code=opts["region"])
        self.stdout.write(f"{result.organizations} organisations de démonstration (fictives).")
        for name, counts in result.extensions.items():
            self.stdout.write(f"{name} : {counts}")
        if settings.TANDEM_DEMO:
            self.stdout.write("\nComptes de démonstration (fictifs) :")
            self.stdout.write(f"  {'identifiant':<28} {'mot de passe':<14} {'rôle':<34} organisation")
            for username, password, org, role in result.accounts:
                self.stdout.write(f"  {username:<28} {password:<14} {role:<34} {org}")
        else:
            self.stdout.write(
                "Comptes créés ; mots de passe affichés en mode démonstration seulement (TANDEM_DEMO=1)."
            )
