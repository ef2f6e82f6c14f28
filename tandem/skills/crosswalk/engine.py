"""Proposed ROME ↔ FAP 2021 crosswalk from labels and job titles, with a confidence per pair.

Each ROME code and each FAP341 post becomes a weighted text document:
- ROME: the code's label, its job titles (appellations), its professional domain label (« Mécanique, travail
  des métaux et outillage ») and, when given, the labels of the Formacodes its certifications carry;
- FAP: the FAP341 label, then the FAP228, FAP86 and FAP22 labels of its ancestors with decreasing weights.
Words are normalised for French (`text.py`: accents, plurals, gendered forms, stop words, shared stem of
« soudeur » / « soudage »). Two TF-IDF spaces are compared by cosine: stems, and character 3–5-grams of the
normalised words (robust to derivations the stemmer misses). The similarity is lowered when the two sides
state different qualification levels (« Ingénieur » vs « Ouvriers qualifiés »). A family (FAP228) scores its
best post; the confidence of a family is its share of a softmax over all families, so it is high only when
one family stands clearly above the others.

Pure: numpy and the standard library.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

import numpy as np

from tandem.skills.crosswalk.formacode import FormacodeRomeCrosswalk
from tandem.skills.crosswalk.sources import SOURCE_OFFICIAL, SOURCE_PROPOSED, FapPost, OfficialPair, RomeJob
from tandem.skills.crosswalk.text import char_ngrams, fap_level, level_of, level_of_titles, stems

# The 14 ROME grand domains (the letter of the code), official labels: they tell « Conducteur de ligne »
# (H, Industrie) from « Conducteur routier » (N, Transport et logistique).
ROME_GRAND_DOMAINS = {
    "A": "Agriculture et pêche, espaces naturels et espaces verts, soins aux animaux",
    "B": "Arts et façonnage d'ouvrages d'art",
    "C": "Banque, assurance, immobilier",
    "D": "Commerce, vente et grande distribution",
    "E": "Communication, média et multimédia",
    "F": "Construction, bâtiment et travaux publics",
    "G": "Hôtellerie-restauration, tourisme, loisirs et animation",
    "H": "Industrie",
    "I": "Installation et maintenance",
    "J": "Santé",
    "K": "Services à la personne et à la collectivité",
    "L": "Spectacle",
    "M": "Support à l'entreprise",
    "N": "Transport et logistique",
}


@dataclass(frozen=True)
class Params:
    """The engine's settings (documented in docs/skills-crosswalk.md)."""

    rome_label: float = 1.0
    rome_titles: float = 1.0
    rome_domain: float = 0.3
    rome_formacodes: float = 0.5
    fap341: float = 1.0
    fap228: float = 0.7
    fap86: float = 0.5
    fap22: float = 0.3
    stem_share: float = 0.5  # the rest goes to the character n-grams
    level_penalty: float = 0.15  # per qualification step between the two sides
    level_floor: float = 0.55
    domain_prior: float = 1.0  # weight of the ROME domain -> FAP domain prior (0 = off)
    prior_smoothing: float = 1.0  # pseudo-jobs spread evenly over the FAP domains
    temperature: float = 0.025  # softmax over families: lower = sharper confidences
    threshold: float = 0.5  # a pair at or above it counts as covered
    top: int = 5  # families kept per ROME code (the best and its alternatives)


@dataclass(frozen=True)
class Candidate:
    """A FAP 2021 family proposed for a ROME code."""

    code_fap228: str
    label_fap228: str
    code_fap341: str  # the best post of the family
    label_fap341: str
    score: float  # similarity, 0–1
    confidence: float  # 0–1, 1 for an official pair


@dataclass
class Proposal:
    """The families proposed for one ROME code, best first."""

    code_rome: str
    label_rome: str
    candidates: list[Candidate]
    source: str = SOURCE_PROPOSED

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confidence(self) -> float:
        return self.candidates[0].confidence if self.candidates else 0.0

    @property
    def alternatives(self) -> list[Candidate]:
        return self.candidates[1:]


@dataclass
class Crosswalk:
    """ROME code -> its proposal (or the official pairs once the Dares table is loaded)."""

    proposals: dict[str, Proposal]
    threshold: float

    def get(self, code_rome: str) -> Proposal | None:
        return self.proposals.get(code_rome)

    def coverage(self, threshold: float | None = None) -> float:
        """Share of ROME codes whose best family reaches the confidence threshold."""
        limit = self.threshold if threshold is None else threshold
        if not self.proposals:
            return 0.0
        return sum(p.confidence >= limit for p in self.proposals.values()) / len(self.proposals)

    def with_official(self, pairs: list[OfficialPair], fap: list[FapPost]) -> Crosswalk:
        """The crosswalk with the Dares table in force: every ROME code the table covers takes its official
        families (confidence 1, or the share of its job titles when the table splits the code); the codes it
        does not cover (e.g. ROME v4 sub-codes newer than the table) keep their proposal."""
        posts = {p.code228: p for p in fap}
        posts.update({p.code341: p for p in fap})
        by_rome: dict[str, Counter] = defaultdict(Counter)
        chosen_post: dict[tuple[str, str], str] = {}
        for pair in pairs:
            by_rome[pair.code_rome][pair.code_fap228] += 1
            chosen_post.setdefault((pair.code_rome, pair.code_fap228), pair.code_fap)
        proposals = dict(self.proposals)
        for code, counts in by_rome.items():
            total = sum(counts.values())
            candidates = []
            for code228, n in counts.most_common():
                post = posts[chosen_post[(code, code228)]]
                candidates.append(
                    Candidate(code228, post.label228, post.code341, post.label341, 1.0, n / total)
                )
            label = proposals[code].label_rome if code in proposals else ""
            proposals[code] = Proposal(code, label, candidates, SOURCE_OFFICIAL)
        return replace(self, proposals=proposals)


def precision_at(crosswalk: Crosswalk, checked: dict[str, str], k: int, *, level: int = 228) -> float:
    """Share of checked ROME codes whose right family (FAP228 code, or its FAP86 prefix with level=86) is
    among the first k proposed."""
    width = 5 if level == 228 else 3
    hits = 0
    for code, expected in checked.items():
        proposal = crosswalk.get(code)
        seen = []
        for candidate in proposal.candidates if proposal else []:
            family = candidate.code_fap228[:width]
            if family not in seen:
                seen.append(family)
        hits += expected[:width] in seen[:k]
    return hits / len(checked) if checked else 0.0


# --- Vector space ---------------------------------------------------------------------------------------------
Fields = list[tuple[float, list[tuple[str, float]]]]  # (field weight, [(text, text weight)])


@dataclass
class _Space:
    featurize: object
    idf: dict[str, float] = field(default_factory=dict)
    vocabulary: dict[str, int] = field(default_factory=dict)

    def features(self, fields: Fields) -> list[tuple[float, Counter]]:
        out = []
        for weight, texts in fields:
            counts: Counter = Counter()
            for text, text_weight in texts:
                for feature in set(self.featurize(text)):
                    counts[feature] += text_weight
            out.append((weight, counts))
        return out

    def fit(self, texts: list[str], targets: list[list[tuple[float, Counter]]]):
        """IDF over every single label and job title (so « conducteur », head of hundreds of titles, weighs
        less than « routier »); the vocabulary is the FAP side's (other features cannot add to a cosine)."""
        df: Counter = Counter()
        for text in texts:
            df.update(set(self.featurize(text)))
        n = len(texts)
        self.idf = {f: math.log((1 + n) / (1 + d)) + 1.0 for f, d in df.items()}
        target_features = sorted(set().union(*(c.keys() for doc in targets for _, c in doc)))
        self.vocabulary = {f: i for i, f in enumerate(target_features)}

    def matrix(self, documents: list[list[tuple[float, Counter]]]) -> np.ndarray:
        out = np.zeros((len(documents), len(self.vocabulary)), dtype=np.float64)
        for row, doc in enumerate(documents):
            total: dict[str, float] = defaultdict(float)
            for weight, counts in doc:
                vector = {f: (1.0 + math.log(c)) * self.idf.get(f, 1.0) for f, c in counts.items() if c > 0}
                norm = math.sqrt(sum(v * v for v in vector.values()))
                for f, v in vector.items():
                    total[f] += weight * v / norm
            norm = (
                math.sqrt(sum(v * v for v in total.values())) or 1.0
            )  # full norm: out-of-vocabulary included
            for f, v in total.items():
                column = self.vocabulary.get(f)
                if column is not None:
                    out[row, column] = v / norm
        return out


def _rome_fields(
    job: RomeJob, params: Params, domains: dict[str, str], formacodes: FormacodeRomeCrosswalk | None
) -> Fields:
    fields: Fields = [(params.rome_label, [(job.label, 1.0)])]
    if job.titles:
        fields.append((params.rome_titles, [(t, 1.0) for t in job.titles]))
    domain_labels = [ROME_GRAND_DOMAINS.get(job.code[0], ""), domains.get(job.domain, "")]
    fields.append((params.rome_domain, [(label, 1.0) for label in domain_labels if label]))
    links = formacodes.for_rome(job.code) if formacodes else []
    if links:
        fields.append(
            (
                params.rome_formacodes,
                [(link.formacode_label, math.log1p(link.certifications)) for link in links],
            )
        )
    return fields


def _fap_fields(post: FapPost, params: Params) -> Fields:
    return [
        (params.fap341, [(post.label341, 1.0)]),
        (params.fap228, [(post.label228, 1.0)]),
        (params.fap86, [(post.label86, 1.0)]),
        (params.fap22, [(post.label22, 1.0)]),
    ]


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _domain_prior(
    jobs: list[RomeJob], families: list[str], probability: np.ndarray, params: Params
) -> np.ndarray:
    """P(FAP domain | ROME professional domain) for each job and family, learnt from the first pass over the
    *other* jobs of the same ROME domain (leave-one-out, smoothed): the jobs of ROME H24 (cuir et textile)
    mostly fall in FAP F, so « Conducteur de machine de production des fils » leans to F rather than to
    « Conducteurs routiers »."""
    letters = sorted({f[0] for f in families})
    letter_of = np.array([letters.index(f[0]) for f in families])
    onehot = np.zeros((len(families), len(letters)))
    onehot[np.arange(len(families)), letter_of] = 1.0
    by_letter = probability @ onehot  # jobs x FAP domains
    domain_of = np.array([j.domain for j in jobs])
    prior = np.empty_like(by_letter)
    for domain in set(domain_of):
        rows = domain_of == domain
        total = by_letter[rows].sum(axis=0)
        others = total[None, :] - by_letter[rows]  # leave the job itself out
        count = rows.sum() - 1
        prior[rows] = (others + params.prior_smoothing / len(letters)) / (count + params.prior_smoothing)
    return prior[:, letter_of]


def rome_level(job: RomeJob) -> float | None:
    """The qualification level the ROME label states, else the one most of its job titles state, else 4 for a
    code flagged « emploi cadre »."""
    level = level_of(job.label)
    if level is None:
        level = level_of_titles(job.titles)
    if level is None and job.executive:
        return 4.0
    return level


def propose_rome_fap(
    rome: dict[str, RomeJob],
    fap: list[FapPost],
    *,
    domains: dict[str, str] | None = None,
    formacodes: FormacodeRomeCrosswalk | None = None,
    params: Params = Params(),  # noqa: B008 (frozen dataclass)
) -> Crosswalk:
    """Propose FAP 2021 families for every ROME code, with a confidence per pair and the alternatives."""
    domains = domains or {}
    jobs = sorted(rome.values(), key=lambda j: j.code)
    rome_fields = [_rome_fields(j, params, domains, formacodes) for j in jobs]
    fap_fields = [_fap_fields(p, params) for p in fap]

    texts = sorted({t for f in rome_fields + fap_fields for _, entries in f for t, _ in entries})
    similarity = np.zeros((len(jobs), len(fap)))
    for share, featurize in ((params.stem_share, stems), (1 - params.stem_share, char_ngrams)):
        space = _Space(featurize)
        rome_docs = [space.features(f) for f in rome_fields]
        fap_docs = [space.features(f) for f in fap_fields]
        space.fit(texts, fap_docs)
        similarity += share * (space.matrix(rome_docs) @ space.matrix(fap_docs).T)

    rome_levels = np.array([np.nan if (lv := rome_level(j)) is None else lv for j in jobs])
    fap_levels = np.array([np.nan if (lv := fap_level(p.code341, p.label341)) is None else lv for p in fap])
    gap = np.abs(rome_levels[:, None] - fap_levels[None, :])
    factor = np.where(np.isnan(gap), 1.0, np.maximum(params.level_floor, 1.0 - params.level_penalty * gap))
    similarity *= factor

    families = sorted({p.code228 for p in fap})
    family_index = {code: i for i, code in enumerate(families)}
    post_family = np.array([family_index[p.code228] for p in fap])
    family_score = np.full((len(jobs), len(families)), -np.inf)
    family_post = np.zeros((len(jobs), len(families)), dtype=int)
    for post_index, fam in enumerate(post_family):
        better = similarity[:, post_index] > family_score[:, fam]
        family_score[better, fam] = similarity[better, post_index]
        family_post[better, fam] = post_index
    logits = family_score / params.temperature
    probability = _softmax(logits)
    if params.domain_prior:
        logits = logits + params.domain_prior * np.log(_domain_prior(jobs, families, probability, params))
        probability = _softmax(logits)

    proposals = {}
    order = np.argsort(-family_score, axis=1, kind="stable")[:, : params.top]
    for row, job in enumerate(jobs):
        candidates = []
        for fam in order[row]:
            post = fap[family_post[row, fam]]
            candidates.append(
                Candidate(
                    post.code228,
                    post.label228,
                    post.code341,
                    post.label341,
                    round(float(family_score[row, fam]), 4),
                    round(float(probability[row, fam]), 4),
                )
            )
        proposals[job.code] = Proposal(job.code, job.label, candidates)
    return Crosswalk(proposals, params.threshold)
