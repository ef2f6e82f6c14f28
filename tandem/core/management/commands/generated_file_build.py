from tandem.core.commands import TandemCommand
from tandem.core.files import generated_file_build
from tandem.core.jobs import child_main


class Command(TandemCommand):
    help = "Génère un fichier demandé depuis le web (usage interne : processus fils du worker)."

    def add_arguments(self, parser):
        parser.add_argument("file_id", type=int)

    def handle(self, *args, **opts):
        child_main(lambda: generated_file_build(file_id=opts["file_id"]))
