"""Reading the Mission Transition Écologique (TEE) programme format as it is published.

A TEE folder holds `programs/<id>.yaml` (the source of truth the TEE team edits), `programs.json` (the same
programmes, generated, with the shared publicodes « interface » rules prepended and a parsed `eligibilityData`)
and `schemas/program-with-publicodes-schema.json` (the JSON Schema of one YAML file). Pure Python, no Django.

Every YAML file is validated against the schema; a file that does not conform is refused with a French error
naming the file and the field. Programmes present as YAML only (not published in programs.json) are read all
the same: their rules are completed with the interface rules taken from programs.json, and they are reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from .publicodes import PublicodesError, RuleSet

SCHEMA_FILE = "schemas/program-with-publicodes-schema.json"
ROOT_RULE = "entreprise . est ciblée"
# Keys programs.json adds to each YAML record (`id`; `type` and `eligibilityData` are in the schema).
GENERATED_KEYS = ("id",)


def record_fingerprint(data) -> str:
    """A stable hash of a scheme's record (keys sorted, dates as text): equal records, equal fingerprints, so
    a scheme keeps one version per distinct record whatever file or form it came from."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class TeeFormatError(ValueError):
    """A TEE file that cannot be read or does not follow its schema (French message naming file and field)."""


@dataclass(frozen=True)
class Programme:
    """One support scheme in the TEE format (French keys kept as published in `data`)."""

    id: str
    data: Mapping[str, Any]
    rules: Mapping[str, Any]  # interface rules + the programme's own rules
    own_rule_names: tuple[str, ...]  # the programme's own rules, in file order
    published: bool  # present in programs.json
    source_file: str

    @property
    def title(self) -> str:
        return self.data.get("titre", self.id)

    @property
    def operator(self) -> str:
        return self.data.get("opérateur de contact", "")

    @property
    def other_operators(self) -> tuple[str, ...]:
        return tuple(self.data.get("autres opérateurs") or ())

    @property
    def nature(self) -> str:
        return self.data.get("nature de l'aide", "")

    @property
    def valid_from(self) -> dt.date | None:
        return parse_tee_date(self.data.get("début de validité"))

    @property
    def valid_until(self) -> dt.date | None:
        return parse_tee_date(self.data.get("fin de validité"))

    @property
    def text_conditions(self) -> Mapping[str, list[str]]:
        """The human-readable eligibility conditions (« conditions d'éligibilité »)."""
        return self.data.get("conditions d'éligibilité") or {}

    @cached_property
    def fingerprint(self) -> str:
        """A stable hash of the record, to keep versions of a scheme when its file changes."""
        return record_fingerprint(self.data)

    @cached_property
    def _compiled(self) -> tuple[RuleSet | None, str]:
        try:
            return RuleSet(self.rules), ""
        except PublicodesError as error:
            return None, str(error)

    @property
    def ruleset(self) -> RuleSet | None:
        return self._compiled[0]

    @property
    def rules_error(self) -> str:
        """Why the rules cannot be evaluated (empty when they can): the reference engine refuses them too."""
        return self._compiled[1]


@dataclass
class TeeCatalogue:
    programmes: dict[str, Programme]
    interface: dict[str, Any]  # the rules every programme shares (the data its rules expect)
    yaml_only: list[str] = field(default_factory=list)  # YAML programmes absent from programs.json
    rules_differing_from_json: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # programmes read from `extra_yaml` (the Région's files)
    replaced: list[str] = field(default_factory=list)  # TEE programmes an extra file of the same id replaces

    @property
    def invalid(self) -> dict[str, str]:
        return {pid: p.rules_error for pid, p in self.programmes.items() if p.rules_error}


def parse_tee_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    day, month, year = (int(part) for part in value.split("/"))
    return dt.date(year, month, day)


def _schema_errors(validator: Draft202012Validator, record: Mapping, where: str) -> list[str]:
    errors = []
    for error in sorted(validator.iter_errors(record), key=lambda e: list(map(str, e.absolute_path))):
        path = " / ".join(map(str, error.absolute_path)) or "(racine)"
        errors.append(f"{where} : champ « {path} » : {error.message}")
    return errors


def read_programme_yaml(path: Path, validator: Draft202012Validator) -> dict:
    """One programme file, validated against the TEE schema."""
    try:
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TeeFormatError(f"{path.name} : fichier YAML illisible ({error}).") from error
    if not isinstance(record, dict):
        raise TeeFormatError(f"{path.name} : un dispositif doit être un objet YAML.")
    errors = _schema_errors(validator, record, path.name)
    if errors:
        raise TeeFormatError("\n".join(errors))
    return record


def schema_validator(folder: Path) -> Draft202012Validator:
    schema = json.loads((folder / SCHEMA_FILE).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def read_tee_catalogue(folder: Path, *, extra_yaml: list[Path] | tuple = ()) -> TeeCatalogue:
    """Read a TEE data folder (programs/*.yaml, programs.json, schemas/). `extra_yaml` adds programme files in
    the same format written elsewhere (e.g. Grand Est schemes written by the Region); an extra file named like a
    TEE programme is the Région's version of it and replaces the TEE file (listed in `replaced`)."""
    folder = Path(folder)
    validator = schema_validator(folder)
    json_path = folder / "programs.json"
    try:
        published = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise TeeFormatError(f"programs.json : fichier illisible ({error}).") from error

    yaml_records = {}
    for path in sorted((folder / "programs").glob("*.yaml")):
        yaml_records[path.stem] = (path.name, read_programme_yaml(path, validator))
    replaced, extra_ids = [], []
    for path in map(Path, extra_yaml):
        if path.stem in extra_ids:
            raise TeeFormatError(f"{path.name} : identifiant de dispositif « {path.stem} » en double.")
        if path.stem in yaml_records:
            replaced.append(path.stem)  # the Région's version of a TEE programme replaces the TEE file
        extra_ids.append(path.stem)
        yaml_records[path.stem] = (path.name, read_programme_yaml(path, validator))

    errors: list[str] = []
    interface: dict[str, Any] | None = None
    json_rules: dict[str, dict] = {}
    for index, record in enumerate(published, start=1):
        pid = record.get("id")
        where = f"programs.json, dispositif n° {index} ({pid})"
        errors += _schema_errors(
            validator, {k: v for k, v in record.items() if k not in GENERATED_KEYS}, where
        )
        if pid not in yaml_records:
            errors.append(f"{where} : aucun fichier programs/{pid}.yaml correspondant.")
            continue
        own = yaml_records[pid][1]["publicodes"]
        shared = {k: v for k, v in record["publicodes"].items() if k not in own}
        if interface is None:
            interface = shared
        elif shared != interface:
            errors.append(
                f"{where} : champ « publicodes » : règles d'interface différentes des autres dispositifs."
            )
        json_rules[pid] = {k: v for k, v in record["publicodes"].items() if k in own}
    if errors:
        raise TeeFormatError("\n".join(errors))
    if interface is None:
        raise TeeFormatError(
            "programs.json : aucun dispositif, impossible d'en déduire les règles d'interface."
        )

    programmes: dict[str, Programme] = {}
    differing = []
    for pid, (filename, record) in yaml_records.items():
        own = record["publicodes"]
        clashes = sorted(set(own) & set(interface))
        if clashes:
            raise TeeFormatError(
                f"{filename} : champ « publicodes » : la règle « {clashes[0]} » redéfinit une règle d'interface."
            )
        if pid in json_rules and json_rules[pid] != own and pid not in extra_ids:
            differing.append(pid)  # the YAML is the source of truth; programs.json may lag behind
        programmes[pid] = Programme(
            id=pid,
            data=record,
            rules={**interface, **own},
            own_rule_names=tuple(own),
            published=pid in json_rules,
            source_file=filename,
        )
    return TeeCatalogue(
        programmes=programmes,
        interface=interface,
        yaml_only=sorted(pid for pid in programmes if pid not in json_rules and pid not in extra_ids),
        rules_differing_from_json=sorted(differing),
        extra=sorted(extra_ids),
        replaced=sorted(replaced),
    )
