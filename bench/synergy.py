"""Benchmark: synergy detection over Grand Est, vectorised engine vs all pairs in plain Python.

Generates BENCH_ESTABLISHMENTS (default 20,000) clearly fictitious establishments placed in the real communes
of Grand Est (../shared/data/real/geo/communes_grand_est.geojson, a point inside each commune, ± 1 km) and
BENCH_FLOWS (default 50,000) flows: materials with real EWC codes (10 % of offers hazardous), heat with
temperatures, water with classes and months, energy, shared services; 5 % of establishments hold an ICPE
permit for hazardous waste, 10 % one for non-hazardous waste. Then measures:
- `detect_s`: `tandem.eit.engine.detect` on the whole region (pairs, checks, scores, allocation, French
  reasons of every synergy, pooling);
- `engine_s_5k`: the same on the first 5,000 flows, as columns (`FlowTable`, what the Django adapter will
  build from a query), without pooling (the naive way does not pool): pairs, checks, scores, allocation;
  `engine_with_table_s_5k` adds building the columns from the 5,000 `Flow` objects;
- `naive_s_5k`: every offer × need of those 5,000 flows in plain Python with the same rules (compatibility
  level, distance, temperatures, water, hazardous permits, top candidates per offer, greedy allocation, the
  same score criteria), no reasons; `agree_5k` = both found the same number of admissible pairs and of exclusions.
Run: .venv/bin/python bench/synergy.py — the last line is JSON.
"""

import json
import math
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("TANDEM_SHARED", REPO.parent / "shared")) / "data"
ESTABLISHMENTS = int(os.environ.get("BENCH_ESTABLISHMENTS", "20000"))
FLOWS = int(os.environ.get("BENCH_FLOWS", "50000"))
SMALL = 5000


def commune_points():
    from shapely.geometry import shape

    with (SHARED / "real/geo/communes_grand_est.geojson").open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    points = []
    for feature in features:
        point = shape(feature["geometry"]).representative_point()
        code = feature["properties"].get("code") or feature["properties"].get("code_insee") or ""
        points.append((point.y, point.x, str(code)))
    return points


def generate(rng: random.Random, ref):
    from tandem.eit.engine import (
        ENERGY,
        HEAT,
        MATERIAL,
        NEED,
        OFFER,
        SERVICE,
        WATER,
        Actor,
        Flow,
        Permit,
        Quality,
    )
    from tandem.eit.engine.model import WATER_CLASSES

    points = commune_points()
    actors = []
    for i in range(ESTABLISHMENTS):
        lat, lon, code = points[rng.randrange(len(points))]
        actors.append(
            Actor(
                id=f"E{i}",
                name=f"[fictif] établissement {i}",
                latitude=lat + rng.uniform(-0.009, 0.009),
                longitude=lon + rng.uniform(-0.013, 0.013),
                zone=code,
            )
        )
    permits = []
    for a in actors:
        draw = rng.random()
        if draw < 0.05:
            permits.append(Permit(a.id, rubriques=("2790",), operations=("R4",)))
        elif draw < 0.15:
            permits.append(Permit(a.id, rubriques=("2791",), operations=("R3",)))
    codes = sorted(ref.ewc)
    popular = rng.sample(codes, 150)
    hazardous = [c for c in popular if ref.ewc[c].hazardous]
    safe = [c for c in popular if not ref.ewc[c].hazardous]
    flows = []
    for i in range(FLOWS):
        who = actors[rng.randrange(len(actors))].id
        direction = OFFER if rng.random() < 0.5 else NEED
        draw = rng.random()
        qty = round(math.exp(rng.gauss(4, 1.2)), 1)
        if draw < 0.55:
            code = rng.choice(hazardous if rng.random() < 0.1 else safe)
            if direction == NEED:
                level = rng.random()
                code = code if level < 0.6 else (code[:4] if level < 0.95 else code[:2])
            flows.append(Flow(f"F{i}", who, direction, MATERIAL, ewc=code, quantity=qty, unit="t"))
        elif draw < 0.70:
            t = rng.uniform(30, 250) if direction == OFFER else rng.uniform(30, 120)
            flows.append(
                Flow(
                    f"F{i}",
                    who,
                    direction,
                    HEAT,
                    resource="heat",
                    quantity=qty * 10,
                    unit="MWh",
                    quality=Quality(temperature_c=round(t)),
                )
            )
        elif draw < 0.80:
            months = rng.choice([(1 << 12) - 1, 0b000111100000, 0b111000000111])
            flows.append(
                Flow(
                    f"F{i}",
                    who,
                    direction,
                    WATER,
                    resource="water",
                    quantity=qty * 100,
                    unit="m3",
                    quality=Quality(water_class=rng.choice(WATER_CLASSES[1:])),
                    months=months,
                )
            )
        elif draw < 0.90:
            flows.append(
                Flow(
                    f"F{i}",
                    who,
                    direction,
                    ENERGY,
                    resource=rng.choice(["electricity", "fuel_gas", "hydrogen"]),
                    quantity=qty * 5,
                    unit="MWh",
                )
            )
        else:
            flows.append(
                Flow(
                    f"F{i}",
                    who,
                    direction,
                    SERVICE,
                    resource=rng.choice(["cardboard_collection", "training", "purchasing", "maintenance"]),
                    quantity=1,
                    unit="u",
                )
            )
    return actors, flows, permits


def naive(actors, flows, permits, ref, params):
    """All offer × need pairs in plain Python, the same rules as the engine, no numpy."""
    from tandem.eit.engine import knowledge
    from tandem.eit.engine.detect import hazardous_authorisation

    by_id = {a.id: a for a in actors}
    authorised = {p.actor_id for p in permits if hazardous_authorisation(p, ref)}
    waste_ok = {p.actor_id for p in permits}
    order = ["demineralised", "potable", "A", "B", "C", "D", "raw"]
    offers = [f for f in flows if f.direction == "offer"]
    needs = [f for f in flows if f.direction == "need"]
    candidates, excluded = [], 0
    for o in offers:
        a = by_id[o.actor_id]
        for n in needs:
            if o.actor_id == n.actor_id or o.kind != n.kind:
                continue
            if o.kind == "material":
                c, w = o.ewc, n.ewc
                subs = knowledge.SUBSTITUTIONS.get(c[:4], ())
                if len(w) == 6:
                    level = 1.0 if c == w else 0.8 if c[:4] == w[:4] else 0.6 if w[:4] in subs else 0
                elif len(w) == 4:
                    level = 0.8 if c[:4] == w else 0.6 if w in subs else 0
                else:
                    level = 0.5 if c[:2] == w else 0
            elif o.kind in ("heat", "cold", "water"):
                level = 1.0
            else:
                level = 1.0 if o.resource == n.resource else 0
            if not level:
                continue
            b = by_id[n.actor_id]
            p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
            h = (
                math.sin((p2 - p1) / 2) ** 2
                + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b.longitude - a.longitude) / 2) ** 2
            )
            road = params.road_factor * 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))
            if road > params.max_road_km[o.kind]:
                continue
            pump = False
            if o.kind == "heat":
                ts, tk = o.quality.temperature_c, n.quality.temperature_c
                if ts < tk + params.delta_t_k:
                    lift = (tk + params.approach_k) - (ts - params.approach_k)
                    if ts < params.heat_pump_min_source_c or lift > params.heat_pump_max_lift_k:
                        continue
                    pump = True
            if o.kind == "water" and order.index(o.quality.water_class) > order.index(n.quality.water_class):
                continue
            common = bin(o.months & n.months).count("1")
            if not common:
                continue
            if (
                o.kind == "material"
                and len(o.ewc) == 6
                and ref.ewc[o.ewc].hazardous
                and n.actor_id not in authorised
            ):
                excluded += 1
                continue
            feas = 0.85 if o.kind == "material" and n.actor_id not in waste_ok else 1.0
            plaus = level * o.confidence * n.confidence * feas * (0.75 if pump else 1.0)
            if o.kind == "water":
                plaus *= common / max(1, bin(n.months).count("1"))
            candidates.append((plaus, o.id, n.id, pump, o, n, road))
    admissible = len(candidates)
    per_offer = {}
    for cand in sorted(candidates, key=lambda c: -c[0]):
        per_offer.setdefault(cand[1], [])
        if len(per_offer[cand[1]]) < params.top_per_offer:
            per_offer[cand[1]].append(cand)
    kept = sorted((c for group in per_offer.values() for c in group), key=lambda c: -c[0])
    remaining = {f.id: f.yearly_quantity() for f in flows}
    ranked = []
    w = params.weights
    for plaus, oid, nid, pump, o, n, road in kept:
        factor, cop = 1.0, None
        if pump:
            tc, te = n.quality.temperature_c + params.approach_k, o.quality.temperature_c - params.approach_k
            cop = min(params.cop_max, params.carnot_efficiency * (tc + 273.15) / max(tc - te, 1e-9))
            factor = cop / max(cop - 1, 1e-9)
        room = min(remaining[oid], remaining[nid] / factor)
        if room <= 1e-9:
            continue
        remaining[oid] -= room
        remaining[nid] -= room * factor
        delivered = room * factor
        # the same criteria as the engine: impact (CO2e), economics, proximity
        if o.kind == "material":
            co2 = (
                delivered
                * params.co2_material_t_per_t.get(
                    o.ewc[:4], params.co2_material_t_per_t.get(o.ewc[:2], params.co2_material_t_per_t[""])
                )
                - delivered * road * params.co2_transport_t_per_t_km
            )
            eur = delivered * (params.disposal_eur_per_t - road * params.transport_eur_per_t_km)
        elif o.kind == "heat":
            gas = delivered / params.boiler_efficiency
            elec = delivered / cop if cop else 0.0
            co2 = gas * params.co2_gas_t_per_mwh - elec * params.co2_electricity_t_per_mwh
            eur = gas * params.gas_eur_per_mwh - elec * params.electricity_eur_per_mwh
        elif o.kind == "water":
            co2, eur = delivered * params.co2_water_t_per_m3, delivered * params.water_eur_per_m3
        else:
            co2, eur = (
                delivered * params.co2_electricity_t_per_mwh,
                delivered * params.electricity_eur_per_mwh,
            )
        impact = min(1.0, max(0.0, math.log10(1 + max(co2, 0)) / 4))
        econ = min(1.0, max(0.0, math.log10(1 + max(eur, 0)) / 6))
        proximity = max(0.0, 1 - road / params.max_road_km[o.kind])
        score = (
            100
            * (
                w["plausibility"] * plaus
                + w["impact"] * impact
                + w["economics"] * econ
                + w["proximity"] * proximity
            )
            / (1 - w["precedents"])
        )
        ranked.append((score, oid, nid, delivered))
    ranked.sort(key=lambda r: -r[0])
    return admissible, excluded, len(ranked)


def main():
    from tandem.eit.engine import FlowTable, Parameters, detect, load_reference

    ref = load_reference(SHARED / "real/eit")
    rng = random.Random(13)
    actors, flows, permits = generate(rng, ref)
    params = Parameters()

    started = time.perf_counter()
    result = detect(actors, flows, ref, permits=permits, params=params)
    detect_s = time.perf_counter() - started

    small = flows[:SMALL]
    used = {f.actor_id for f in small}
    small_actors = [a for a in actors if a.id in used]
    small_permits = [p for p in permits if p.actor_id in used]
    # Like with like: the naive side allocates greedily in plain Python, so the engine is timed with its greedy
    # allocation too; the exact network allocation (the default up to its pair limit) is timed apart.
    greedy = Parameters(optimal_allocation_max_pairs=0)
    timings, with_table = [], []
    for _ in range(5):
        started = time.perf_counter()
        table = FlowTable(small_actors, small, ref)
        built = time.perf_counter()
        small_result = detect(small_actors, table, ref, permits=small_permits, params=greedy, pools=False)
        done = time.perf_counter()
        timings.append(done - built)
        with_table.append(done - started)
    engine_s = min(timings)
    started = time.perf_counter()
    network = detect(small_actors, table, ref, permits=small_permits, params=params, pools=False)
    network_s = time.perf_counter() - started
    naive_runs = []
    for _ in range(2):  # best of runs on both sides: the machine is shared
        started = time.perf_counter()
        admissible, excluded, allocated = naive(small_actors, small, small_permits, ref, params)
        naive_runs.append(time.perf_counter() - started)
    naive_s = min(naive_runs)
    agree = admissible == small_result.stats["candidate_pairs"] and excluded == small_result.exclusion_count
    print(
        f"region: {len(actors)} establishments, {len(flows)} flows -> {len(result.synergies)} synergies, "
        f"{len(result.pools)} pools, {result.exclusion_count} hazardous exclusions in {detect_s:.2f} s"
    )
    print(
        f"5k flows: engine {engine_s:.3f} s ({small_result.stats['candidate_pairs']} pairs), naive {naive_s:.2f} s "
        f"({admissible} pairs, {excluded} exclusions, {allocated} allocated)"
    )
    print(
        json.dumps(
            {
                "establishments": len(actors),
                "flows": len(flows),
                "synergies": len(result.synergies),
                "pools": len(result.pools),
                "detect_s": round(detect_s, 2),
                "engine_s_5k": round(engine_s, 3),
                "naive_s_5k": round(naive_s, 2),
                "engine_with_table_s_5k": round(min(with_table), 3),
                "speedup_5k": round(naive_s / engine_s, 1),
                "agree_5k": agree,
                "allocation_region": result.stats["allocation"],
                "engine_network_s_5k": round(network_s, 3),
                "allocation_5k_default": network.stats["allocation"],
            }
        )
    )


if __name__ == "__main__":
    main()
