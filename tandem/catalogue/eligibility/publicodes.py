"""A Python evaluator for the subset of publicodes (https://publi.codes) that eligibility rules use.

Pure Python, no Django. It mirrors the semantics of the reference engine (the `publicodes` npm package,
version pinned in package.json) for the mechanisms listed below; `tests/catalogue/test_publicodes_equality.py`
proves the two agree on every TEE programme × a grid of company profiles.

Supported subset (anything else is refused when the rules are loaded, with a `PublicodesError`):
- rules: empty (an input), a literal or expression, or an object with `valeur`, `toutes ces conditions`,
  `une de ces conditions`, `condition` (si / alors / sinon), `est défini`, `est non défini`, plus the chainable
  `applicable si`, `non applicable si` and `avec` (nested rules); descriptive keys (`titre`, `description`,
  `question`, `note`…) are kept and ignored;
- expressions: references (with publicodes' namespace resolution), `oui` / `non`, numbers without unit,
  strings in quotes, dates `dd/mm/yyyy`, parentheses, comparisons `= != < <= > >=`, arithmetic
  `+ - * /`;
- values: True / False, None (« non applicable »), UNDEFINED (missing data), numbers, strings, dates (strings).

Not supported (unused by the 260 programmes): units, `possibilités` / `une possibilité`, `par défaut`,
`remplace`, `rend non applicable`, `est applicable` / `est non applicable`, `somme`, `barème`, `variations`…
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class PublicodesError(ValueError):
    """Rules outside the supported subset, an unknown reference, or a bad situation value (French message)."""


class _Undefined:
    """The value of a rule that the situation does not give (publicodes' `undefined`)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED = _Undefined()

DESCRIPTIVE_KEYS = frozenset(
    {"titre", "description", "question", "note", "références", "icônes", "résumé", "acronyme", "experimental"}
)
CHAINABLE_KEYS = ("avec", "applicable si", "non applicable si")  # outermost first, as in the reference engine
VALUE_KEYS = frozenset(
    {
        "valeur",
        "formule",
        "toutes ces conditions",
        "une de ces conditions",
        "condition",
        "est défini",
        "est non défini",
    }
)
DATE_RE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
NUMBER_RE = re.compile(r"^-?\d+(?:\.\d+)?$")


# --- expression nodes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Const:
    value: Any


@dataclass(frozen=True)
class Ref:
    name: str  # as written
    context: str  # the rule it is written in
    dotted: str = ""  # resolved full name


@dataclass(frozen=True)
class Op:
    kind: str
    left: Any
    right: Any


@dataclass(frozen=True)
class Cond:
    si: Any
    alors: Any
    sinon: Any


@dataclass(frozen=True)
class IsUndefined:
    node: Any


@dataclass(frozen=True)
class SituationOf:
    """The rule's value in the situation when given, else its formula (publicodes' « dans la situation »)."""

    rule: str
    formula: Any


NOT_APPLICABLE = Const(None)
UNDEFINED_NODE = Const(UNDEFINED)
TRUE = Const(True)
FALSE = Const(False)


# --- expression parsing -------------------------------------------------------------------------------------
_COMPARATORS = ("<=", ">=", "!=", "=", "<", ">")
_ARITHMETIC = ("+", "-", "*", "/")


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            tokens.append(("paren", ch))
            i += 1
            continue
        comparator = next((c for c in _COMPARATORS if text.startswith(c, i)), None)
        if comparator:
            tokens.append(("op", comparator))
            i += len(comparator)
            continue
        # Arithmetic operators stand between spaces (a hyphen inside a name or a date's slash is not one).
        if ch in _ARITHMETIC and (i + 1 == n or text[i + 1] == " ") and (i == 0 or text[i - 1] == " "):
            tokens.append(("op", ch))
            i += 1
            continue
        if ch in "'\"":
            end = text.find(ch, i + 1)
            if end < 0:
                raise PublicodesError(f"Chaîne de caractères non fermée dans « {text} ».")
            tokens.append(("string", text[i + 1 : end]))
            i = end + 1
            continue
        # A phrase: a number, a date, oui/non or a (dotted) reference, up to the next operator or parenthesis.
        j = i
        while j < n:
            c = text[j]
            if c in "()<>=!":
                break
            if c == " " and j + 2 <= n and text[j + 1] in _ARITHMETIC and (j + 2 == n or text[j + 2] == " "):
                break
            j += 1
        phrase = text[i:j].strip()
        if not phrase:
            raise PublicodesError(f"Expression illisible : « {text} ».")
        tokens.append(("phrase", phrase))
        i = j
    return tokens


class _ExpressionParser:
    def __init__(self, text: str, context: str):
        self.text, self.context = text, context
        self.tokens = _tokenize(text)
        self.pos = 0

    def parse(self):
        node = self._comparison()
        if self.pos != len(self.tokens):
            raise PublicodesError(f"Expression illisible : « {self.text} » (règle « {self.context} »).")
        return node

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _comparison(self):
        left = self._additive()
        kind, value = self._peek()
        if kind == "op" and value in _COMPARATORS:
            self.pos += 1
            return Op(value, left, self._additive())
        return left

    def _additive(self):
        node = self._multiplicative()
        while self._peek()[0] == "op" and self._peek()[1] in "+-":
            op = self.tokens[self.pos][1]
            self.pos += 1
            node = Op(op, node, self._multiplicative())
        return node

    def _multiplicative(self):
        node = self._atom()
        while self._peek()[0] == "op" and self._peek()[1] in "*/":
            op = self.tokens[self.pos][1]
            self.pos += 1
            node = Op(op, node, self._atom())
        return node

    def _atom(self):
        kind, value = self._peek()
        self.pos += 1
        if kind == "paren" and value == "(":
            node = self._comparison()
            if self._peek() != ("paren", ")"):
                raise PublicodesError(f"Parenthèse non fermée dans « {self.text} ».")
            self.pos += 1
            return node
        if kind == "string":
            return Const(value)
        if kind == "phrase":
            return _phrase_node(value, self.context, self.text)
        raise PublicodesError(f"Expression illisible : « {self.text} » (règle « {self.context} »).")


def _phrase_node(phrase: str, context: str, text: str):
    if phrase == "oui":
        return TRUE
    if phrase == "non":
        return FALSE
    if NUMBER_RE.match(phrase):
        number = float(phrase)
        return Const(int(number) if number.is_integer() else number)
    if DATE_RE.match(phrase):
        return Const(phrase)
    if re.match(r"^-?\d", phrase):
        raise PublicodesError(
            f"Unité non prise en charge dans « {text} » (règle « {context} ») : écrivez un nombre sans unité."
        )
    return Ref(name=" . ".join(part.strip() for part in phrase.split(" . ")), context=context)


def parse_expression(text: str, context: str):
    return _ExpressionParser(text, context).parse()


# --- rules --------------------------------------------------------------------------------------------------
@dataclass
class Rule:
    dotted: str
    raw: Any
    formula: Any = None  # the chain: applicable si / non applicable si / situation / value
    has_formula: bool = False
    applicability: list = field(default_factory=list)  # [("applicable si" | "non applicable si", node)]
    value_node: Any = None


def _parents(dotted: str) -> list[str]:
    parts = dotted.split(" . ")
    return [" . ".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


class RuleSet:
    """Parsed rules of one model (one programme), ready to evaluate situations."""

    def __init__(self, raw_rules: Mapping[str, Any]):
        self.rules: dict[str, Rule] = {}
        for name, raw in raw_rules.items():
            self._collect(name, raw)
        for rule in self.rules.values():
            self._compile(rule)
        self._resolve_all()
        self._boolean_or_nullable: dict[str, bool] = {}

    # parsing ----------------------------------------------------------------------------------------------
    def _collect(self, dotted: str, raw: Any) -> None:
        if dotted in self.rules:
            raise PublicodesError(f"La règle « {dotted} » est définie deux fois.")
        if isinstance(raw, bool):
            raise PublicodesError(f"Règle « {dotted} » : écrivez oui / non, pas true / false.")
        if isinstance(raw, (str, int, float)):
            raw = {"valeur": str(raw)}
        if raw is not None and not isinstance(raw, dict):
            raise PublicodesError(f"La règle « {dotted} » est mal écrite.")
        self.rules[dotted] = Rule(dotted=dotted, raw=raw or {})
        for child, child_raw in ((raw or {}).get("avec") or {}).items():
            self._collect(f"{dotted} . {child}", child_raw)

    def _compile(self, rule: Rule) -> None:
        raw = rule.raw
        unknown = set(raw) - DESCRIPTIVE_KEYS - VALUE_KEYS - set(CHAINABLE_KEYS)
        if unknown:
            raise PublicodesError(
                f"Règle « {rule.dotted} » : mécanisme non pris en charge ({', '.join(sorted(unknown))})."
            )
        values = [key for key in raw if key in VALUE_KEYS]
        if len(values) > 1:
            raise PublicodesError(f"Règle « {rule.dotted} » : plusieurs valeurs ({', '.join(values)}).")
        rule.has_formula = bool(values)
        rule.value_node = (
            self._mechanism(raw[values[0]], values[0], rule.dotted) if values else UNDEFINED_NODE
        )
        node = SituationOf(rule.dotted, rule.value_node)
        for key in reversed(CHAINABLE_KEYS[1:]):
            if key in raw:
                condition = self.parse(raw[key], rule.dotted)
                rule.applicability.insert(0, (key, condition))
                if key == "applicable si":  # si: condition != non
                    node = Cond(Op("!=", condition, FALSE), node, NOT_APPLICABLE)
                else:  # si: condition = non
                    node = Cond(Op("=", condition, FALSE), node, NOT_APPLICABLE)
        rule.formula = node

    def _mechanism(self, raw: Any, key: str, context: str):
        if key in ("valeur", "formule"):
            return self.parse(raw, context)
        if key in ("toutes ces conditions", "une de ces conditions"):
            if not isinstance(raw, list):
                raise PublicodesError(f"Règle « {context} » : « {key} » attend une liste.")
            node = TRUE if key == "toutes ces conditions" else FALSE
            for item in raw:
                node = Op("et" if key == "toutes ces conditions" else "ou", node, self.parse(item, context))
            return node
        if key == "condition":
            if not isinstance(raw, dict) or set(raw) != {"si", "alors", "sinon"}:
                raise PublicodesError(f"Règle « {context} » : « condition » attend si, alors et sinon.")
            return Cond(*(self.parse(raw[k], context) for k in ("si", "alors", "sinon")))
        if key == "est non défini":
            return IsUndefined(self.parse(raw, context))
        if key == "est défini":
            return Op("=", IsUndefined(self.parse(raw, context)), FALSE)
        raise PublicodesError(f"Règle « {context} » : mécanisme non pris en charge ({key}).")

    def parse(self, raw: Any, context: str):
        if raw is None:
            raise PublicodesError(f"Règle « {context} » : une des valeurs de la formule est vide.")
        if isinstance(raw, bool):
            raise PublicodesError(f"Règle « {context} » : écrivez oui / non, pas true / false.")
        if isinstance(raw, (int, float)):
            return Const(raw)
        if isinstance(raw, str):
            return parse_expression(raw, context)
        if isinstance(raw, dict):
            chainable = [k for k in CHAINABLE_KEYS[1:] if k in raw]
            values = [k for k in raw if k in VALUE_KEYS]
            unknown = set(raw) - set(chainable) - set(values)
            if unknown or len(values) != 1:
                raise PublicodesError(
                    f"Règle « {context} » : mécanisme non pris en charge ({', '.join(sorted(raw))})."
                )
            node = self._mechanism(raw[values[0]], values[0], context)
            for key in reversed(chainable):
                condition = self.parse(raw[key], context)
                node = Cond(
                    Op("!=" if key == "applicable si" else "=", condition, FALSE), node, NOT_APPLICABLE
                )
            return node
        raise PublicodesError(f"Règle « {context} » : valeur illisible ({raw!r}).")

    # references -------------------------------------------------------------------------------------------
    def resolve(self, name: str, referenced_from: str) -> str:
        """publicodes' `disambiguateReference`: the rule itself, then each parent, then the root."""
        contexts = [referenced_from, *_parents(referenced_from), ""]
        for context in contexts:
            dotted = f"{context} . {name}" if context else name
            if dotted in self.rules and dotted != referenced_from:
                return dotted
        if referenced_from.endswith(name):
            return referenced_from
        raise PublicodesError(f"Règle « {referenced_from} » : la référence « {name} » est introuvable.")

    def _resolve_all(self) -> None:
        def walk(node):
            if isinstance(node, Ref):
                return Ref(node.name, node.context, self.resolve(node.name, node.context))
            if isinstance(node, Op):
                return Op(node.kind, walk(node.left), walk(node.right))
            if isinstance(node, Cond):
                return Cond(walk(node.si), walk(node.alors), walk(node.sinon))
            if isinstance(node, IsUndefined):
                return IsUndefined(walk(node.node))
            if isinstance(node, SituationOf):
                return SituationOf(node.rule, walk(node.formula))
            return node

        for rule in self.rules.values():
            rule.formula = walk(rule.formula)
            rule.value_node = walk(rule.value_node)
            rule.applicability = [(key, walk(node)) for key, node in rule.applicability]

    # static typing (for branch deactivation by a parent) --------------------------------------------------
    def boolean_or_nullable(self, dotted: str, _seen: frozenset = frozenset()) -> bool:
        if dotted not in self._boolean_or_nullable:
            rule = self.rules[dotted]
            if rule.applicability:
                result = True
            elif not rule.has_formula or dotted in _seen:
                result = False
            else:
                result = self._node_is_boolean(rule.value_node, _seen | {dotted})
            self._boolean_or_nullable[dotted] = result
        return self._boolean_or_nullable[dotted]

    def _node_is_boolean(self, node, seen) -> bool:
        if isinstance(node, Const):
            return isinstance(node.value, bool) or node.value is None
        if isinstance(node, Op):
            return node.kind in ("et", "ou", *_COMPARATORS)
        if isinstance(node, IsUndefined):
            return True
        if isinstance(node, Ref):
            return self.boolean_or_nullable(node.dotted, seen)
        if isinstance(node, Cond):
            return self._node_is_boolean(node.alors, seen) or self._node_is_boolean(node.sinon, seen)
        return False

    def references(self, node) -> Iterable[str]:
        """The rules a node refers to directly (not transitively)."""
        if isinstance(node, Ref):
            yield node.dotted
        elif isinstance(node, Op):
            yield from self.references(node.left)
            yield from self.references(node.right)
        elif isinstance(node, Cond):
            yield from self.references(node.si)
            yield from self.references(node.alors)
            yield from self.references(node.sinon)
        elif isinstance(node, IsUndefined):
            yield from self.references(node.node)
        elif isinstance(node, SituationOf):
            yield from self.references(node.formula)

    def reachable(self, names: Iterable[str]) -> set[str]:
        """The rules that evaluating `names` may read: their references and parents, transitively."""
        seen: set[str] = set()
        todo = list(names)
        while todo:
            dotted = todo.pop()
            if dotted in seen:
                continue
            seen.add(dotted)
            todo += self.references(self.rules[dotted].formula)
            todo += [parent for parent in _parents(dotted) if parent in self.rules]
        return seen

    def evaluator(self, situation: Mapping[str, Any]) -> Evaluator:
        return Evaluator(self, situation)


# --- evaluation ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Evaluation:
    value: Any  # True / False / None (non applicable) / UNDEFINED / number / string
    missing: frozenset[str] = frozenset()


def _date_timestamp(value: str) -> int:
    day, month, year = (int(part) for part in value.split("/"))
    # Like JavaScript's `new Date(year, month - 1, day)`, out-of-range days and months roll over.
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.date(year, month, 1).toordinal() + day - 1


def _is_zero(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def _nullish_false(value):
    return False if value is None or value is UNDEFINED else value


def _js_truthy(value) -> bool:
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, str):
        return value != ""
    return True


def _same_type(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    numbers = (int, float)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or (isinstance(a, str) and isinstance(b, str))


def _compute(kind: str, a, b):
    if isinstance(a, str) and isinstance(b, str) and DATE_RE.match(a) and DATE_RE.match(b):
        a, b = _date_timestamp(a), _date_timestamp(b)
    if kind == "=":
        a, b = _nullish_false(a), _nullish_false(b)
        return _same_type(a, b) and a == b
    if kind == "!=":
        a, b = _nullish_false(a), _nullish_false(b)
        return not (_same_type(a, b) and a == b)
    if kind == "et":
        a = _nullish_false(a)
        return _nullish_false(b) if _js_truthy(a) else a
    if kind == "ou":
        a = _nullish_false(a)
        return a if _js_truthy(a) else _nullish_false(b)
    if kind in ("+", "-"):
        # JavaScript arithmetic: a non applicable (null) operand counts as 0.
        a, b = (0 if a is None else a), (0 if b is None else b)
    if not _same_type(a, b) or isinstance(a, bool):
        raise PublicodesError(f"Opération « {kind} » entre des valeurs de types différents ({a!r}, {b!r}).")
    if kind in ("<", "<=", ">", ">="):
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[kind]
    if not isinstance(a, (int, float)):
        raise PublicodesError(f"Opération « {kind} » sur des valeurs non numériques ({a!r}, {b!r}).")
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    if kind == "*":
        return a * b
    return a / b


class Evaluator:
    """Evaluates the rules of a RuleSet for one situation (with a cache, like the reference engine)."""

    def __init__(self, ruleset: RuleSet, situation: Mapping[str, Any]):
        self.ruleset = ruleset
        self.situation: dict[str, Any] = {}
        for name, raw in situation.items():
            if name not in ruleset.rules:
                continue  # as the reference callers do: keep only keys that are rules of the model
            self.situation[name] = situation_value(raw, name)
        self._cache: dict[str, Evaluation] = {}
        self._stack: list[str] = []

    def evaluate(self, dotted: str) -> Evaluation:
        if dotted not in self.ruleset.rules:
            raise PublicodesError(f"La règle « {dotted} » n'existe pas.")
        return self._rule(dotted)

    def evaluate_node(self, node) -> Evaluation:
        """A compiled node of this rule set (e.g. a rule's `applicable si` condition)."""
        return self._node(node)

    def _rule(self, dotted: str) -> Evaluation:
        if dotted in self._cache:
            return self._cache[dotted]
        if dotted in self._stack:
            raise PublicodesError(f"Cycle détecté lors de l'évaluation de la règle « {dotted} ».")
        self._stack.append(dotted)
        try:
            result = self._rule_uncached(dotted)
        finally:
            self._stack.pop()
        self._cache[dotted] = result
        return result

    def _rule_uncached(self, dotted: str) -> Evaluation:
        rules = self.ruleset.rules
        parent_missing: frozenset[str] = frozenset()
        # Branch deactivation: the nearest parent that is boolean or may be non applicable decides.
        parent = next(
            (p for p in _parents(dotted) if p in rules and self.ruleset.boolean_or_nullable(p)), None
        )
        if parent is not None:
            parent_eval = self._rule(parent)
            if parent_eval.value is None or parent_eval.value is False:
                return Evaluation(None, parent_eval.missing)
            parent_missing = parent_eval.missing
        result = self._node(rules[dotted].formula)
        missing = result.missing
        if result.value is UNDEFINED and not missing:
            missing = frozenset({dotted})
        return Evaluation(result.value, missing | parent_missing)

    def _node(self, node) -> Evaluation:
        if isinstance(node, Const):
            return Evaluation(node.value)
        if isinstance(node, Ref):
            return self._rule(node.dotted)
        if isinstance(node, SituationOf):
            if node.rule in self.situation:
                return Evaluation(self.situation[node.rule])
            return self._node(node.formula)
        if isinstance(node, Op):
            return self._operation(node)
        if isinstance(node, Cond):
            condition = self._node(node.si)
            if condition.value is True:
                branch = self._node(node.alors)
                missing = branch.missing
            elif condition.value is False:
                branch = self._node(node.sinon)
                missing = branch.missing
            elif condition.value is None:
                branch, missing = condition, frozenset()
            elif condition.value is UNDEFINED:
                missing = self._node(node.sinon).missing | self._node(node.alors).missing
                branch = condition
            else:
                raise PublicodesError("La condition doit être de type booléen.")
            return Evaluation(branch.value, condition.missing | missing)
        if isinstance(node, IsUndefined):
            inner = self._node(node.node)
            return Evaluation(inner.value is UNDEFINED, inner.missing)
        raise PublicodesError(f"Nœud inconnu : {node!r}")

    def _operation(self, node: Op) -> Evaluation:
        kind = node.kind
        left = self._node(node.left)
        a = left.value
        if (
            (a is None and kind in ("<", ">", "<=", ">=", "/", "*", "-", "et"))
            or (_is_zero(a) and kind in ("/", "*"))
            or (a is False and kind == "et")
            or (a is True and kind == "ou")
        ):
            return Evaluation(False if kind == "et" else a, left.missing)
        right = self._node(node.right)
        b = right.value
        if kind == "/" and _is_zero(b):
            raise PublicodesError("Division par zéro.")
        if (
            (b is None and kind in ("<", ">", "<=", ">=", "/", "*", "et"))
            or (_is_zero(b) and kind == "*")
            or (b is False and kind == "et")
            or (b is True and kind == "ou")
        ):
            return Evaluation(False if kind == "et" else b, right.missing)
        missing = left.missing | right.missing
        if a is UNDEFINED or b is UNDEFINED:
            return Evaluation(UNDEFINED, missing)
        if kind in ("<", ">", "<=", ">=", "*", "/") and b is None:
            return Evaluation(None, missing)
        return Evaluation(_compute(kind, a, b), missing)


def situation_value(raw: Any, name: str = "") -> Any:
    """A situation value, written as the reference engine accepts it: a number, `oui` / `non`, a quoted
    string or a date. (References and formulas are refused: Tandem only sends facts.)"""
    if isinstance(raw, bool) or raw is None:
        raise PublicodesError(f"Valeur de situation invalide pour « {name} » : {raw!r}.")
    if isinstance(raw, (int, float)):
        return raw
    if isinstance(raw, str):
        node = parse_expression(raw, name)
        if isinstance(node, Const):
            return node.value
    raise PublicodesError(f"Valeur de situation invalide pour « {name} » : {raw!r}.")
