"""The pure synergy engine on hand-built cases and the real reference files of ../shared/data/real/eit."""

import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.core.errors import UserError
from tandem.eit.engine import (
    HEAT,
    MATERIAL,
    NEED,
    OFFER,
    SERVICE,
    WATER,
    Actor,
    Flow,
    Parameters,
    Permit,
    Quality,
    allocate,
    allocate_optimal,
    detect,
    load_reference,
    normalise_nace,
    resolve_activity,
)
from tandem.eit.engine.knowledge import URBAN, nace_from_text


def test_engine_imports_no_django():
    code = (
        "import sys; import tandem.eit.engine; "
        "bad = sorted(k for k in sys.modules if k == 'django' or k.startswith('django.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_reference_files_are_read_with_their_hazardous_flags(ref):
    assert len(ref.ewc) == 842
    assert sum(code.hazardous for code in ref.ewc.values()) == 408
    assert ref.ewc["160601"].hazardous and ref.ewc["160601"].display == "16 06 01*"
    assert not ref.ewc["100202"].hazardous
    assert ref.heading("1002").startswith("déchets provenant de l'industrie du fer")
    assert "2790" in ref.operation_rubriques["R4"]
    assert ref.line_costs[0] == (0.2, 195.0) and ref.line_costs[-1] == (190.0, 976.0)
    assert ref.naf["10.51C"] and ref.nace["24.10"]


def test_reference_errors_name_file_line_and_field(tmp_path, eit_dir):
    for path in eit_dir.glob("*.csv"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    broken = tmp_path / "ewc_low_codes_fr_en.csv"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines[3] = "10A202" + lines[3][6:]
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "hotmaps_heat_equipment_costs.csv").unlink()
    with pytest.raises(UserError) as caught:
        load_reference(tmp_path)
    text = str(caught.value)
    assert "ewc_low_codes_fr_en.csv, ligne 4, champ « code » : code déchet à 6 chiffres attendu" in text
    assert "hotmaps_heat_equipment_costs.csv : fichier de référence introuvable" in text


@pytest.mark.parametrize(
    ("text", "nace"),
    [
        ("Refinery", "19.20"),
        ("Raffinerie de pétrole", "19.20"),
        ("Cement plant", "23.51"),
        ("Cimenterie", "23.51"),
        ("Fromagerie industrielle", "10.51"),
        ("Steelworks", "24.10"),
        ("Sucrerie", "10.81"),
        ("Urban entity", URBAN),
        ("Réseau de chaleur urbain", "35.30"),
        ("Power plant", "35.11"),
        ("Brasserie artisanale", "11.05"),
        ("Embouteillage d'eau minérale", "11.07"),  # not a mine
        ("Laine minérale", "23.99"),
        ("Garage automobile", "45.20"),  # repairs, not car making
        ("Chaufferie biomasse", "35.30"),
    ],
)
def test_activity_text_to_nace(text, nace):
    assert nace_from_text(text) == nace


def test_naf_code_wins_and_label_fallback(ref):
    from tandem.eit.engine import LabelIndex

    assert (
        normalise_nace("2410") == "24.10"
        and normalise_nace("24.10Z") == "24.10"
        and normalise_nace("x") is None
    )
    matches = resolve_activity(Actor("1", activity="Aciérie", nace="24.10Z"))
    assert [m.nace for m in matches] == ["24.10"]
    labels = LabelIndex(ref)
    guessed = resolve_activity(
        Actor("2", activity="Fabrication de parfums et de produits pour la toilette"), labels
    )
    assert guessed[0].nace == "20.42" and guessed[0].confidence < 0.5


def actor(ident, lat=None, lon=None, zone="", nace=""):
    return Actor(ident, name=f"Établissement {ident}", latitude=lat, longitude=lon, zone=zone, nace=nace)


def material(ident, who, direction, ewc, qty, **kw):
    return Flow(ident, who, direction, MATERIAL, ewc=ewc, quantity=qty, unit="t", **kw)


def heat(ident, who, direction, temperature, mwh):
    return Flow(
        ident,
        who,
        direction,
        HEAT,
        resource="heat",
        quantity=mwh,
        unit="MWh",
        quality=Quality(temperature_c=temperature),
    )


def test_hazardous_waste_never_goes_to_an_unauthorised_receiver(ref):
    actors = [actor("prod"), actor("menuiserie"), actor("recycleur")]
    flows = [
        material("batteries", "prod", OFFER, "160601", 40),  # lead batteries, hazardous
        material("b1", "menuiserie", NEED, "1606", 40),
        material("b2", "recycleur", NEED, "1606", 40),
    ]
    permits = [
        Permit("menuiserie", rubriques=("2410",), operations=()),
        Permit("recycleur", rubriques=("2790",), operations=("R4",)),
    ]
    result = detect(actors, flows, ref, permits=permits)
    receivers = [s.receiver for s in result.synergies]
    assert receivers == ["recycleur"]
    assert any(
        "rubrique ICPE 2790 (déchets dangereux) pour l'opération R4" in r for r in result.synergies[0].reasons
    )
    assert result.exclusion_count == 1
    assert result.exclusions[0].receiver == "menuiserie"
    assert "déchet dangereux 16 06 01* non proposé" in result.exclusions[0].reason
    # a receiver declaring nothing is refused too
    result = detect(actors, flows, ref, permits=permits[1:])
    assert [s.receiver for s in result.synergies] == ["recycleur"]


def test_non_hazardous_code_chapter_and_substitution_levels(ref):
    actors = [actor("acierie"), actor("cimenterie"), actor("routes"), actor("papeterie"), actor("tri")]
    flows = [
        material("laitier", "acierie", OFFER, "100202", 1000),
        material("c", "cimenterie", NEED, "100202", 500),
        material("r", "routes", NEED, "10", 500),
        material("cartons", "tri", OFFER, "150101", 200),
        material("fibres", "papeterie", NEED, "2001", 200),
    ]
    result = detect(actors, flows, ref)
    by_receiver = {s.receiver: s for s in result.synergies}
    assert "code identique à celui recherché" in by_receiver["cimenterie"].reasons[0]
    assert "même chapitre" in by_receiver["routes"].reasons[0]
    assert "substitution documentée" in by_receiver["papeterie"].reasons[0]
    assert by_receiver["cimenterie"].score > by_receiver["routes"].score


def test_heat_below_the_sink_temperature_needs_a_heat_pump_and_says_so(ref):
    actors = [actor("datacenter", 48.58, 7.75), actor("reseau", 48.59, 7.76), actor("serre", 48.585, 7.755)]
    flows = [
        heat("fatale", "datacenter", OFFER, 40, 2000),
        heat("chauffage", "reseau", NEED, 70, 1000),
        heat("serre-besoin", "serre", NEED, 25, 500),
    ]
    result = detect(actors, flows, ref)
    by_receiver = {s.receiver: s for s in result.synergies}
    pumped = by_receiver["reseau"]
    # COP = 0.5 × (70 + 5 + 273.15) / ((70 + 5) − (40 − 5)) = 0.5 × 348.15 / 40
    assert pumped.heat_pump and pumped.cop == pytest.approx(0.5 * 348.15 / 40)
    assert "pompe à chaleur nécessaire, COP estimé 4,4" in pumped.reasons[0]
    # the whole need (1,000 MWh) is delivered, 1,000 / COP of it as electricity
    assert pumped.quantity == pytest.approx(1000)
    assert f"électricité de la pompe à chaleur : {round(1000 / (0.5 * 348.15 / 40))} MWh/an" in pumped.reasons
    direct = by_receiver["serre"]
    assert not direct.heat_pump and "échange direct" in direct.reasons[0]
    assert any("canalisation" in r and "retour sur investissement" in r for r in direct.reasons)
    assert any(r.startswith("distance routière estimée") for r in direct.reasons)


def test_heat_too_cold_even_for_a_heat_pump_is_not_proposed(ref):
    actors = [actor("a"), actor("b")]
    flows = [heat("eau", "a", OFFER, 5, 100), heat("vapeur", "b", NEED, 150, 100)]
    assert detect(actors, flows, ref).synergies == []


def test_road_distance_is_1_3_times_the_straight_line(ref):
    actors = [actor("a", 48.0, 7.0), actor("b", 48.1, 7.0)]  # 0.1° of latitude = 11.12 km
    flows = [material("o", "a", OFFER, "100202", 10), material("n", "b", NEED, "100202", 10)]
    (syn,) = detect(actors, flows, ref).synergies
    assert syn.road_km == pytest.approx(1.3 * 6371.0 * math.radians(0.1), rel=1e-6)
    far = [actor("a", 48.0, 7.0), actor("b", 49.5, 7.0)]  # 167 km straight, over the 150 km material limit
    assert detect(far, flows, ref).synergies == []


def test_an_offer_of_100_t_is_never_allocated_150_t(ref):
    actors = [actor("o"), actor("n1"), actor("n2"), actor("n3")]
    flows = [
        material("offre", "o", OFFER, "150101", 100),
        material("b1", "n1", NEED, "150101", 150),
        material("b2", "n2", NEED, "150101", 60),
        material("b3", "n3", NEED, "1501", 90),
    ]
    result = detect(actors, flows, ref)
    total = sum(s.quantity for s in result.synergies)
    assert total == pytest.approx(100)
    assert all(s.quantity <= 100 for s in result.synergies)
    assert len(result.synergies) >= 1
    first = result.synergies[0]
    need = {"n1": 150, "n2": 60, "n3": 90}[first.receiver]
    assert first.quantity == min(100, need)
    assert f"quantité proposée : {min(100, need)} t/an (offre 100 t/an, besoin {need} t/an)" in first.reasons


def test_network_allocation_reroutes_where_the_greedy_strands_an_offer(ref):
    """o1 (packaging 15 01 01) is the exact answer to n1 and the only one for n2 (any chapter 15); o2 (paper
    of municipal collection 20 01 01, a documented substitution) can serve n1 only. Served first, the greedy
    gives o1 to n1 and strands o2 and n2 (100 t); the network allocation sends o1 to n2 and o2 to n1 (200 t)."""
    actors = [actor("o1"), actor("o2"), actor("n1"), actor("n2")]
    flows = [
        material("a", "o1", OFFER, "150101", 100),
        material("b", "o2", OFFER, "200101", 100),
        material("c", "n1", NEED, "150101", 100),
        material("d", "n2", NEED, "15", 100),
    ]
    greedy = detect(actors, flows, ref, params=Parameters(optimal_allocation_max_pairs=0))
    assert greedy.stats["allocation"] == "greedy"
    assert {(s.supplier, s.receiver): s.quantity for s in greedy.synergies} == {("o1", "n1"): 100}
    network = detect(actors, flows, ref)
    assert network.stats["allocation"] == "optimal"
    found = {(s.supplier, s.receiver): s.quantity for s in network.synergies}
    assert found == {("o1", "n2"): pytest.approx(100), ("o2", "n1"): pytest.approx(100)}


@settings(max_examples=100, deadline=None)
@given(
    offers=st.lists(st.floats(0, 500), min_size=1, max_size=6),
    needs=st.lists(st.floats(0, 500), min_size=1, max_size=6),
    data=st.data(),
)
def test_network_allocation_never_exceeds_and_carries_at_least_the_greedy(offers, needs, data):
    import numpy as np

    n_pairs = data.draw(st.integers(1, 30))
    o_idx = np.array([data.draw(st.integers(0, len(offers) - 1)) for _ in range(n_pairs)])
    n_idx = np.array([data.draw(st.integers(0, len(needs) - 1)) + len(offers) for _ in range(n_pairs)])
    factor = np.array([data.draw(st.sampled_from([1.0, 1.25, 1.5])) for _ in range(n_pairs)])
    weight = np.array([data.draw(st.sampled_from([0.3, 0.5, 0.8, 1.0])) for _ in range(n_pairs)])
    qty = np.array(offers + needs, dtype=float)
    order = np.argsort(-weight, kind="stable")
    taken, delivered, kept = allocate_optimal(order, o_idx, n_idx, qty, qty, factor, weight)
    for o in range(len(offers)):
        assert np.nansum(taken[kept & (o_idx == o)]) <= offers[o] + 1e-6
    for n in range(len(needs)):
        assert np.nansum(delivered[kept & (n_idx == n + len(offers))]) <= needs[n] + 1e-6
    g_taken, _, g_kept = allocate(order, o_idx, n_idx, qty, qty, factor)
    optimal = float(np.nansum(np.where(kept, taken, 0) * weight))
    greedy = float(np.nansum(np.where(g_kept, g_taken, 0) * weight))
    assert optimal >= greedy - 1e-6 * max(1.0, greedy)


@settings(max_examples=200, deadline=None)
@given(
    offers=st.lists(st.floats(0, 500), min_size=1, max_size=6),
    needs=st.lists(st.floats(0, 500), min_size=1, max_size=6),
    data=st.data(),
)
def test_allocation_never_exceeds_an_offer_or_a_need(offers, needs, data):
    import numpy as np

    n_pairs = data.draw(st.integers(1, 30))
    o_idx = np.array([data.draw(st.integers(0, len(offers) - 1)) for _ in range(n_pairs)])
    n_idx = np.array([data.draw(st.integers(0, len(needs) - 1)) + len(offers) for _ in range(n_pairs)])
    factor = np.array([data.draw(st.sampled_from([1.0, 1.25, 1.5])) for _ in range(n_pairs)])
    qty = np.array(offers + needs, dtype=float)
    order = np.array(data.draw(st.permutations(list(range(n_pairs)))))
    taken, delivered, kept = allocate(order, o_idx, n_idx, qty, qty, factor)
    for o in range(len(offers)):
        assert np.nansum(taken[kept & (o_idx == o)]) <= offers[o] + 1e-6
    for n in range(len(needs)):
        assert np.nansum(delivered[kept & (n_idx == n + len(offers))]) <= needs[n] + 1e-6


def test_water_class_and_season(ref):
    actors = [actor("step"), actor("golf"), actor("laiterie"), actor("irrigation")]
    summer = 0b000111100000  # June–September (bit 0 = January)
    winter = 0b110000000011
    flows = [
        Flow(
            "eau-b",
            "step",
            OFFER,
            WATER,
            resource="water",
            quantity=10000,
            unit="m3",
            quality=Quality(water_class="B"),
            months=summer,
        ),
        Flow(
            "arrosage",
            "golf",
            NEED,
            WATER,
            resource="water",
            quantity=5000,
            unit="m3",
            quality=Quality(water_class="C"),
            months=summer,
        ),
        Flow(
            "process",
            "laiterie",
            NEED,
            WATER,
            resource="water",
            quantity=5000,
            unit="m3",
            quality=Quality(water_class="potable"),
        ),
        Flow(
            "hiver",
            "irrigation",
            NEED,
            WATER,
            resource="water",
            quantity=5000,
            unit="m3",
            quality=Quality(water_class="D"),
            months=winter,
        ),
    ]
    result = detect(actors, flows, ref)
    assert [s.receiver for s in result.synergies] == ["golf"]
    assert "eau de qualité classe B pour un besoin de qualité classe C" in result.synergies[0].reasons[0]


def test_pooling_finds_the_group_it_should(ref):
    actors = [
        actor("a", zone="ZA Nord"),
        actor("b", zone="ZA Nord"),
        actor("c", zone="ZA Nord"),
        actor("d", zone="ZA Sud"),
    ]
    flows = [
        Flow(f"carton-{x}", x, NEED, SERVICE, resource="cardboard_collection", quantity=q, unit="u")
        for x, q in (("a", 12), ("b", 8), ("c", 4), ("d", 50))
    ] + [material("dib-a", "a", OFFER, "150101", 30), material("dib-d", "d", OFFER, "150101", 30)]
    pools = detect(actors, flows, ref).pools
    assert len(pools) == 1
    (pool,) = pools
    assert pool.actors == ["a", "b", "c"] and pool.count == 3
    assert pool.volume == 24 and pool.perimeter == "zone ZA Nord"
    assert pool.label == "Besoin commun : Collecte des cartons"
    assert pool.reasons[0] == "3 établissements (zone ZA Nord) partagent ce besoin"


def test_bad_flows_are_refused_in_french(ref):
    with pytest.raises(UserError, match="flux « x » : code déchet .* invalide « 1002A »"):
        detect([actor("a")], [material("x", "a", OFFER, "1002A", 1)], ref)
    with pytest.raises(UserError, match="flux « y » : établissement « z » inconnu"):
        detect([actor("a")], [material("y", "z", OFFER, "100202", 1)], ref)
    with pytest.raises(UserError, match="l'unité « t » ne convient pas à un flux de chaleur"):
        detect([actor("a")], [Flow("h", "a", OFFER, HEAT, resource="heat", quantity=1, unit="t")], ref)


def test_validity_dates_and_months(ref):
    from datetime import date

    actors = [actor("a"), actor("b")]
    old = material("o", "a", OFFER, "100202", 10, valid_until=date(2024, 12, 31))
    new = material("n", "b", NEED, "100202", 10, valid_from=date(2025, 1, 1))
    assert len(detect(actors, [old, new], ref).synergies) == 0
    with pytest.raises(UserError, match="début de validité postérieur à la fin de validité"):
        detect(
            actors,
            [
                material(
                    "x", "a", OFFER, "100202", 1, valid_from=date(2025, 2, 1), valid_until=date(2025, 1, 1)
                )
            ],
            ref,
        )
    fine = material("f", "a", OFFER, "100202", 1)  # same signature first: every flow is still checked
    with pytest.raises(UserError, match="flux « y » : profil mensuel vide ou invalide"):
        detect(actors, [fine, material("y", "a", OFFER, "100202", 1, months=0)], ref)
    with pytest.raises(UserError, match="flux « q » : quantité invalide"):
        detect(actors, [fine, material("q", "a", OFFER, "100202", -5)], ref)


def test_parameters_are_configurable(ref):
    actors = [actor("a"), actor("b")]
    flows = [heat("o", "a", OFFER, 75, 100), heat("n", "b", NEED, 70, 100)]
    (syn,) = detect(actors, flows, ref, params=Parameters(delta_t_k=5)).synergies
    assert not syn.heat_pump
    (syn,) = detect(actors, flows, ref).synergies
    assert syn.heat_pump


def sequential_greedy(order, o_idx, n_idx, qty, factor):
    """The one-by-one greedy, written plainly: the oracle of the vectorised allocation."""
    remaining = {i: (math.inf if math.isnan(q) else q) for i, q in enumerate(qty)}
    out = {}
    for p in order:
        o, n, f = int(o_idx[p]), int(n_idx[p]), float(factor[p])
        if math.isnan(qty[o]) and math.isnan(qty[n]):
            out[p] = math.nan
            continue
        room = min(remaining[o], remaining[n] / f)
        if room <= 1e-9:
            continue
        out[p] = room
        remaining[o] -= room
        remaining[n] -= room * f
    return out


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_vectorised_allocation_is_the_one_by_one_greedy(data):
    import numpy as np

    n_offers = data.draw(st.integers(1, 5))
    n_needs = data.draw(st.integers(1, 5))
    qty = data.draw(
        st.lists(
            st.one_of(st.just(math.nan), st.floats(0, 300)),
            min_size=n_offers + n_needs,
            max_size=n_offers + n_needs,
        )
    )
    n_pairs = data.draw(st.integers(1, 25))
    o_idx = np.array([data.draw(st.integers(0, n_offers - 1)) for _ in range(n_pairs)])
    n_idx = np.array([data.draw(st.integers(n_offers, n_offers + n_needs - 1)) for _ in range(n_pairs)])
    factor = np.array([data.draw(st.sampled_from([1.0, 1.25, 1.5])) for _ in range(n_pairs)])
    order = np.array(data.draw(st.permutations(list(range(n_pairs)))))
    q = np.array(qty, dtype=float)
    taken, _, kept = allocate(order, o_idx, n_idx, q, q, factor)
    expected = sequential_greedy(order.tolist(), o_idx, n_idx, qty, factor)
    assert {p for p in range(n_pairs) if kept[p]} == set(expected)
    for p, room in expected.items():
        assert (math.isnan(room) and math.isnan(taken[p])) or taken[p] == pytest.approx(room)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("cendres volantes", "100102"),
        ("Mill scales", "100210"),
        ("pneus usagés", "160103"),
        ("emballages carton", "150101"),
        ("déchets de cantine", "200108"),
    ],
)
def test_ewc_codes_suggested_from_free_text(ref, text, code):
    from tandem.eit.engine import WasteIndex

    assert WasteIndex(ref).suggest(text, 3)[0][0] == code


def test_precedents_count_division_pairs_and_appear_in_reasons(tmp_path, ref):
    from tandem.eit.engine import read_precedents_csv

    path = tmp_path / "precedents.csv"
    path.write_text(
        "donor_nace_division,receiver_nace_division,ewc_chapter,n_exchanges\n24,23,,21\n24,,10,36\n",
        encoding="utf-8",
    )
    precedents = read_precedents_csv(path)
    assert precedents.count("24", "23") == 21 and precedents.count("24", "", "10") == 36
    actors = [actor("a", nace="24.10Z"), actor("b", nace="23.51Z")]
    flows = [material("o", "a", OFFER, "100202", 10), material("n", "b", NEED, "1002", 10)]
    with_prec = detect(actors, flows, ref, precedents=precedents).synergies[0]
    assert "21 échange(s) documenté(s) entre ces secteurs d'activité" in with_prec.reasons
    without = detect(actors, flows, ref).synergies[0]
    assert with_prec.score > without.score
    path.write_text("donor_nace_division,n_exchanges\n24,beaucoup\n", encoding="utf-8")
    with pytest.raises(
        UserError, match="precedents.csv, ligne 2, champ « n_exchanges » : nombre entier attendu"
    ):
        read_precedents_csv(path)


def test_estimated_flows_say_so_with_their_confidence(ref):
    from tandem.eit.engine import estimated_flows, suggest

    matches = resolve_activity(Actor("r", activity="Refinery"))
    flows = estimated_flows(Actor("r", activity="Refinery"), matches)
    offers = {f.ewc or f.resource for f in flows if f.direction == OFFER}
    assert {"0501", "heat", "fuel_gas"} <= offers
    assert all(f.origin == "estimated" and 0 < f.confidence <= 1 for f in flows)
    result = suggest([Actor("r", activity="Refinery"), Actor("c", activity="Centrale thermique")], ref)
    fuel = [s for s in result.synergies if s.label.startswith("Gaz combustible")]
    assert fuel and fuel[0].supplier == "r" and fuel[0].receiver == "c"
    assert fuel[0].reasons[0] == (
        "ressource « gaz combustible (gaz de procédé) » disponible chez le fournisseur et recherchée par le receveur"
    )
    assert any(
        r.startswith("flux estimés d'après l'activité — offre et besoin estimés (confiance") for r in fuel[0].reasons
    )


def test_activity_rules_agree_with_the_official_naf_labels(eit_dir):
    """The keyword rules read on the 615 official NAF class labels mostly land in the label's own division
    (a rule firing on a product word — « boissons » is not « bois » — would pull it elsewhere)."""
    import csv

    with (eit_dir / "naf_rev2_sous_classes_fr.csv").open(encoding="utf-8") as handle:
        labels = {row["code_classe"]: row["libelle_classe"] for row in csv.DictReader(handle)}
    found = {code: nace_from_text(label) for code, label in labels.items()}
    recognised = {code: guess for code, guess in found.items() if guess}
    agree = sum(guess[:2] == code[:2] for code, guess in recognised.items())
    assert len(recognised) > 300
    assert agree / len(recognised) >= 0.8
    assert nace_from_text("Production de boissons alcooliques distillées") == "11.01"
    assert nace_from_text("Élevage de vaches laitières") == "01.46"
    assert nace_from_text("laitier de haut fourneau") == "24.10"
