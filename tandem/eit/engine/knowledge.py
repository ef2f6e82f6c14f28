"""What activities emit and use: the engine's documented knowledge (sources in docs/eit-engine.md).

- EMITS: by NACE prefix, the EWC sub-chapters an activity produces. The EWC is organised by source activity,
  so this side follows the sub-chapter headings themselves (10 02 « Wastes from the iron and steel industry »
  -> NACE 24.10, 02 05 « dairy products industry » -> 10.5 …), plus the utilities an activity typically has
  in surplus (waste heat and its temperature, steam, process gas, CO2, water).
- USES: by NACE prefix, what an activity can take in. Materials follow the recovery operations of Directive
  2008/98/EC annex II (R1 fuel, R3 organics, R4 metals, R5 inorganics, R10 land spreading) as practised by
  each receiving sector (cement kilns: R1 + R5 clinker raw meal; road building: R5 aggregates; steel: R4 …),
  heat sinks and their supply temperatures, water and energy users.
- SUBSTITUTIONS: EWC entries of different chapters that are the same material (paper from packaging, from
  municipal collection and from sorting …).

Each entry carries a weight in ]0, 1]: how typical the flow is for the activity (1 = defining, 0.3 = often).
Nothing here was fitted on the documented exchanges of ../shared (see docs/eit-engine.md, « Évaluation »).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

URBAN = "U"  # pseudo-activity: a town, its residents and public buildings (district heating, municipal waste)

# token -> (kind, default temperature °C for heat); material tokens are EWC sub-chapters (4 digits)
UTILITY_KIND = {
    "heat": "heat",
    "steam": "heat",
    "cold": "cold",
    "electricity": "energy",
    "fuel_gas": "energy",
    "hydrogen": "energy",
    "co2": "material",
    "water": "water",
    "wastewater": "water",
}
STEAM_TEMPERATURE_C = 180.0


def _profiles(table: dict[str, str]) -> dict[str, tuple[tuple[str, float, float | None], ...]]:
    """'1002:1 heat@250:.8' -> (("1002", 1.0, None), ("heat", 0.8, 250.0))."""
    parsed = {}
    for prefix, text in table.items():
        entries = []
        for item in text.split():
            token, weight = item.split(":")
            temperature = None
            if "@" in token:
                token, t = token.split("@")
                temperature = float(t)
            entries.append((token, float(weight), temperature))
        parsed[prefix] = tuple(entries)
    return parsed


# --- what an activity emits (offers) ---------------------------------------------------------------------
EMITS = _profiles(
    {
        "01": "0201:1 wastewater:.3",
        "01.13": "0201:1 co2:.1",
        "01.4": "0201:1 wastewater:.5",
        "02": "0301:1 0201:.6",
        "03": "0202:1 wastewater:.5",
        "05": "0101:1 0104:.6 water:.4",
        "06": "0105:1 fuel_gas:.7 water:.6 0507:.4",
        "07": "0101:1 0103:1 water:.4",
        "08": "0101:1 0104:1 water:.3",
        "09": "0105:.8",
        "10": "0203:.8 wastewater:.7 heat@60:.5",
        "10.1": "0202:1 wastewater:.8 heat@45:.5",
        "10.2": "0202:1 wastewater:.8",
        "10.3": "0203:1 wastewater:.7 heat@60:.4",
        "10.4": "0203:1 wastewater:.8",
        "10.5": "0205:1 wastewater:.8 heat@50:.5",
        "10.6": "0203:1 heat@60:.3",
        "10.7": "0206:1 heat@70:.4",
        "10.8": "0203:.8 wastewater:.6",
        "10.81": "0204:1 wastewater:.7 heat@70:.5 steam:.3",
        "10.82": "0206:1",
        "10.9": "0203:.8",
        "11": "0207:1 co2:.7 wastewater:.7 heat@60:.4",
        "11.07": "0207:.6 wastewater:.6",
        "12": "0203:1",
        "13": "0402:1 wastewater:.8 heat@50:.5",
        "14": "0402:1",
        "15": "0401:1 wastewater:.6",
        "16": "0301:1 heat@60:.2",
        "16.1": "0301:1",
        "17": "0303:1 wastewater:.8 heat@80:.7 steam:.4 electricity:.3",
        "18": "0803:.8 1501:.6 0303:.3",
        "19.1": "0506:1 fuel_gas:1 heat@200:.7",
        "19.2": "0501:1 heat@150:.9 steam:.7 fuel_gas:.8 hydrogen:.5 1608:.5 co2:.5 wastewater:.6",
        "20": "0701:.6 0601:.6 heat@120:.7 steam:.6 wastewater:.7 co2:.3",
        "20.11": "0601:.5 hydrogen:.8 co2:.6 heat@80:.5 cold:.3",
        "20.12": "0611:1 0601:.8 heat@120:.5",
        "20.13": "0601:1 0602:.7 0603:.7 hydrogen:.6 steam:.7 heat@150:.6",
        "20.14": "0701:1 steam:.8 hydrogen:.6 fuel_gas:.5 heat@150:.7",
        "20.15": "0610:1 co2:1 steam:.7 heat@120:.6 0609:.5",
        "20.16": "0702:1 heat@120:.6",
        "20.17": "0702:.8",
        "20.2": "0704:1",
        "20.3": "0801:1",
        "20.4": "0706:1",
        "20.5": "0707:1",
        "20.59": "0707:1 0203:.3",
        "21": "0705:1 wastewater:.7 heat@60:.4 steam:.3",
        "22": "0702:.7 1201:.7 1501:.5",
        "22.1": "1601:.6 1201:.6",
        "23": "1012:.6 heat@200:.6",
        "23.1": "1011:1 heat@300:.9",
        "23.2": "1012:1 heat@250:.6",
        "23.3": "1012:1 heat@200:.6",
        "23.4": "1012:1 heat@200:.5",
        "23.5": "1013:1 heat@300:.9 co2:.6",
        "23.6": "1013:.6 1701:.7",
        "23.7": "0104:1",
        "23.9": "1012:.5 1013:.4",
        "24": "1008:.6 heat@250:.8",
        "24.1": "1002:1 heat@250:1 fuel_gas:.8 steam:.5 1611:.5 co2:.5 water:.4",
        "24.2": "1002:.6 1201:.6 heat@150:.5",
        "24.3": "1201:.8 1002:.4",
        "24.41": "1007:1 heat@200:.6",
        "24.42": "1003:1 0103:.7 heat@250:.8 steam:.4",
        "24.43": "1004:1 1005:1 heat@250:.6 0601:.4",
        "24.44": "1006:1 heat@250:.6 0601:.5",
        "24.45": "1008:1 0103:.5 heat@250:.6",
        "24.5": "1009:1 1010:.8 heat@200:.6",
        "25": "1201:1 1101:.4 1301:.3 1501:.3",
        "25.5": "1201:1",
        "25.6": "1101:1 1201:.6 wastewater:.6",
        "26": "1201:.5 1602:.6 1501:.5 0601:.3 heat@35:.3",
        "27": "1201:.7 1602:.5 1501:.5",
        "27.2": "1606:1",
        "28": "1201:1 1501:.5 1301:.4",
        "29": "1201:1 0801:.6 1501:.5 1301:.4 heat@40:.3",
        "30": "1201:1 0801:.5",
        "31": "0301:1 0801:.5",
        "32": "1201:.4 1501:.4",
        "33": "1301:.6 1601:.4",
        "35.1": "heat@90:1 steam:.8 electricity:1 1001:.9 co2:.5 water:.4",
        "35.11": "heat@90:1 steam:.8 electricity:1 1001:1 co2:.5 water:.4",
        "35.2": "fuel_gas:.7 1906:.8 co2:.6 heat@60:.4 electricity:.5",
        "35.3": "heat@90:1 steam:.7 electricity:.4",
        "36": "water:1 1909:.8",
        "37": "water:1 1908:1 heat@20:.4",
        "38.1": "2003:.8 1912:.6",
        "38.2": "1901:.8 1912:.8 heat@120:.7 steam:.6 electricity:.7 1905:.6 1906:.6",
        "38.21": "1901:1 heat@120:.8 steam:.7 electricity:.8 1905:.6 1906:.6 1912:.5",
        "38.3": "1912:1 1910:.6",
        "39": "1913:1 1705:.6",
        "41": "1701:1 1702:.8 1704:.6 1705:.6 1709:.5",
        "42": "1701:1 1703:.8 1705:1 1704:.4",
        "43": "1701:1 1702:.8 1704:.7 1706:.4 1708:.4 1709:.5",
        "45": "1601:1 1302:.8 1501:.4",
        "46": "1501:1 2001:.4",
        "47": "1501:1 2001:.6 0203:.3",
        "47.11": "1501:1 2001:.7 0203:.5 0202:.3",
        "49": "1501:.4 1302:.4",
        "52": "1501:1 2001:.3",
        "55": "2001:.8 2003:.6 1501:.4",
        "56": "2001:1 0203:.3 1501:.4",
        "63.11": "heat@35:1",
        "84": "2003:.5 2002:.5",
        "85": "2001:.5",
        "86": "1801:1 2001:.4",
        URBAN: "2003:1 2001:.8 2002:.5 wastewater:.6 1908:.3",
    }
)

# --- what an activity uses (needs) ------------------------------------------------------------------------
USES = _profiles(
    {
        "01": "1906:.7 1905:.7 0201:.3 water:.6 0203:.3",
        "01.13": "heat@40:1 co2:1 1906:.6 1905:.6 water:.7",
        "01.4": "0203:.8 0204:.7 0207:.7 0206:.5 water:.5",
        "02": "1905:.3",
        "03.2": "heat@25:.8 co2:.6 water:.7 0203:.4",
        "10": "steam:.6 heat@90:.5 water:.6 electricity:.3",
        "10.8": "steam:.7 heat@90:.5 water:.5 co2:.2",
        "10.81": "steam:.8 heat@100:.6 electricity:.3 1002:.2",
        "10.9": "0203:1 0204:1 0207:1 0206:.8 0205:.5 0202:.5",
        "11": "steam:.5 heat@80:.5 water:.7 co2:.6",
        "11.07": "co2:1 water:.8",
        "13": "steam:.5 heat@80:.6 water:.8",
        "16": "0301:.6 heat@70:.5",
        "16.2": "0301:1 1702:.7 1912:.4 0201:.3 heat@100:.5",
        "17": "1501:1 2001:.8 1912:.7 0303:.5 steam:.8 heat@120:.6 electricity:.6 water:.7 0601:.5 co2:.3",
        "17.2": "1501:.8",
        "19.2": "hydrogen:.7 steam:.6 electricity:.6 water:.6 2001:.3 1301:.4 0203:.3 0702:.3 1608:.3",
        "20": "steam:.7 electricity:.6 water:.6 hydrogen:.4 co2:.3 0601:.4 fuel_gas:.4 heat@150:.4",
        "20.11": "co2:.8 0601:.3",
        "20.13": "0601:.6 0501:.6 fuel_gas:.4",
        "20.14": "0701:.5 2001:.3 0203:.3 0702:.3",
        "20.15": "0201:.5 1906:.6 0610:.7 0601:.5 co2:.6 0501:.5 1002:.3 1908:.3",
        "20.16": "0702:1 1912:.4",
        "20.59": "0203:.7 2001:.6 0207:.5",
        "21": "steam:.6 water:.6 electricity:.4",
        "22": "0702:1 1912:.6 1501:.5 2001:.3",
        "22.1": "1601:.8 0702:.6",
        "23.1": "1011:1 2001:.5 1912:.5 1501:.4 0104:.4 1002:.4",
        "23.2": "1002:.5 1011:.4 1611:.4",
        "23.3": "1001:.7 1012:.7 0303:.4 1701:.4 1908:.2",
        "23.4": "1012:.7 1011:.3",
        "23.5": "1002:1 1001:1 1013:.8 1912:.7 1601:.6 0303:.4 1908:.5 0601:.5 0103:.5 1611:.4 1301:.4 1406:.3 0702:.3 1901:.3 1701:.3 0501:.5 0101:.3 0104:.3 0105:.3 electricity:.5",
        "23.6": "1001:1 1002:.8 1013:.7 1701:.6 1901:.4 0601:.4 1012:.4 0303:.3",
        "23.62": "0601:.8 1001:.6 1708:.7",
        "23.9": "1002:.7 1011:.6 1001:.5",
        "24.1": "1704:1 1910:1 1201:.8 1002:.6 0702:.3 1601:.2 electricity:.7 hydrogen:.2 fuel_gas:.3 water:.5",
        "24.4": "1704:.8 1201:.6 1602:.5 1606:.5 1608:.4 1101:.3 1003:.4 1004:.4 1005:.4 1006:.4 1008:.4 0601:.3 electricity:.7",
        "24.42": "1003:.7 electricity:.8 steam:.5 0601:.4",
        "24.43": "1606:1 1004:.6 1005:.6",
        "24.44": "1006:.6 1602:.6",
        "24.5": "1704:1 1201:.8 1009:.4",
        "26": "electricity:.4 water:.4",
        "28": "electricity:.2",
        "29": "electricity:.4 steam:.2 heat@80:.3",
        "35.1": "fuel_gas:1 hydrogen:.5 0301:.7 0303:.6 0201:.6 1912:.6 water:.7 0203:.4 0204:.3 1301:.3 0702:.2 1307:.3",
        "35.2": "0201:1 0202:.8 0203:1 0204:.8 0205:.8 0206:.8 0207:.8 2001:.8 2002:.6 1908:.6 0303:.3 heat@40:.3",
        "35.3": "heat@80:.8 fuel_gas:.5 0301:.6 1912:.3",
        "36": "wastewater:.3",
        "37": "wastewater:1 1907:.5",
        "38.2": "2003:.8 1912:.8 1908:.6 0201:.5 0202:.5 0203:.5 2001:.7 2002:.7 0303:.4 1501:.4 0301:.4 0702:.3",
        "38.21": "2003:.9 1912:.8 1908:.6 0201:.6 0202:.6 0203:.6 0206:.5 0207:.5 2001:.8 2002:.8 0303:.4 1501:.4",
        "38.3": "1501:1 1704:.8 1201:.7 0702:.7 1602:.7 1606:.6 1601:.6 1702:.6 2001:.6 1912:.6 1910:.5 1101:.2 1608:.4",
        "39": "1705:.6",
        "41": "1701:.5 1001:.2",
        "42": "1002:1 1001:.8 1901:.8 1701:1 1705:.8 1012:.5 1601:.4 1611:.3 1703:.6 0202:.2 1013:.3",
        "43": "1701:.6 1705:.5",
        "52.23": "heat@60:.4",
        "55": "heat@60:.5",
        "85": "heat@60:.6",
        "86": "heat@70:.6",
        "93": "heat@30:.6",
        URBAN: "heat@80:1 electricity:.3 water:.5 1905:.5 1906:.3 0301:.3",
    }
)

# Materials of different EWC sub-chapters that are the same thing (receiver takes one, is offered another).
SUBSTITUTIONS = {
    "1501": ("2001", "1912"),  # packaging paper/plastics/glass/metal ~ municipal separate collection ~ sorted
    "2001": (
        "1501",
        "1912",
        "1704",
        "1702",
        "1011",
    ),  # separate collection: paper, plastics, metals, wood, glass
    "1912": ("1501", "2001"),
    "1704": ("1910", "1201", "1601"),  # metals from C&D ~ shredding ~ machining ~ end-of-life vehicles
    "1910": ("1704",),
    "1201": ("1704",),
    "1702": ("0301", "1912"),  # waste wood
    "0301": ("1702",),
    "1011": ("2001", "1501"),  # glass cullet
    "1002": ("1001",),  # slags and ashes as hydraulic binders/aggregates (cement, concrete, roads)
    "1001": ("1002",),
    "1901": ("1001",),  # incinerator bottom ash ~ combustion ash
    "1905": ("1906",),  # compost ~ digestate
    "1906": ("1905",),
}

# Default temperatures when a flow gives none (°C).
DEFAULT_SOURCE_TEMPERATURE_C = 80.0
DEFAULT_SINK_TEMPERATURE_C = 70.0


def nace_prefixes(nace: str) -> list[str]:
    """'24.10Z' -> ['24.10', '24.1', '24']: most specific first."""
    code = nace.strip().upper()
    if code == URBAN:
        return [URBAN]
    digits = re.sub(r"[^0-9]", "", code)
    if len(digits) < 2:
        return []
    out = [digits[:2]]
    if len(digits) >= 3:
        out.insert(0, f"{digits[:2]}.{digits[2]}")
    if len(digits) >= 4:
        out.insert(0, f"{digits[:2]}.{digits[2:4]}")
    return out


def profile(table, nace: str) -> dict[str, tuple[float, float | None]]:
    """Merge the profiles of every prefix of `nace`, the most specific entry winning for each token."""
    merged: dict[str, tuple[float, float | None]] = {}
    for prefix in nace_prefixes(nace):
        for token, weight, temperature in table.get(prefix, ()):
            merged.setdefault(token, (weight, temperature))
    return merged


def fold(text: str) -> str:
    """Lower case, no accents, single spaces: the form activity texts are compared in."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@dataclass(frozen=True)
class ActivityRule:
    pattern: re.Pattern
    nace: str


def _rules(table: list[tuple[str, str]]) -> tuple[ActivityRule, ...]:
    return tuple(ActivityRule(re.compile(rf"\b(?:{words})"), nace) for words, nace in table)


# Free-text activity (folded FR/EN) -> NACE, checked in order: specific phrases before generic words.
ACTIVITY_RULES = _rules(
    [
        (
            r"garage|vehicle repair|reparation automobile|reparation de vehicules|commerce de (?:voitures|vehicules)",
            "45.20",
        ),
        (r"commerce de gros|wholesale|grossiste|negoce|intermediaires du commerce", "46.90"),
        (r"commerce de detail|retail|supermarket|supermarche|hypermarche|grande surface", "47.11"),
        (r"fabrication de machines|machinery|machine manuf", "28.29"),
        (r"reparation (?:de|et)|installation de machines|industrial maintenance|repair", "33.12"),
        (r"travaux de", "43.99"),
        (r"construction de (?:voies|ponts|reseaux|ouvrages|routes)", "42.99"),
        (
            r"transports? (?:routiers|ferroviaires|maritimes|fluviaux|aeriens|urbains|de voyageurs|de fret)|taxi",
            "49.41",
        ),
        (r"culture de|crop farm|arable", "01.11"),
        (r"elevage de|livestock|animal raising|poultry farm|pig farm", "01.46"),
        (r"construction de (?:navires|bateaux|locomotives|materiel ferroviaire)|shipbuild|shipyard", "30.11"),
        (r"organic rankine|orc\b", "35.11"),
        (r"transport d electricite|distribution d electricite|commerce d electricite", "35.13"),
        (r"gaz par conduites|combustibles gazeux", "35.22"),
        (r"depollution|remediation|soil treatment", "39.00"),
        (
            r"reseau de chaleur|district heating|chauffage urbain|chaufferie|heat generation|heating plant",
            "35.30",
        ),
        (r"methanis|anaerobic|biodigest|biogas|biogaz|digesteur", "35.21"),
        (r"incinerat|waste to energy|unite de valorisation energetique|uve\b|gasifier|rdf", "38.21"),
        (r"compost", "38.21"),
        (r"waste ?water|station d epuration|step\b|assainissement|eaux usees", "37.00"),
        (r"water supply|eau potable|water treatment|traitement de l eau|water company", "36.00"),
        (r"recycl|tri des dechets|sorting|centre de tri|recuperation|scrap|ferraill|demantelement", "38.32"),
        (r"waste management|gestion des dechets|collecte des dechets|dechets", "38.11"),
        (r"data ?cent|centre de donnees|datacenter", "63.11"),
        (
            r"power ?plant|power station|chp\b|cogeneration|centrale (?:thermique|electrique|biomasse)|"
            r"electricity production|production d electricite|hydropower|hydroelectri|energy company",
            "35.11",
        ),
        (r"oil refin|refiner|raffiner|petrochem|petrochim|oil treatment", "19.20"),
        (r"coke|cokerie", "19.10"),
        (r"oil extraction|petroleum ex|gas extraction|oil and gas|forage petrol|oil field", "06.10"),
        (r"coal (?:mine|industry)|mine de charbon|houill", "05.10"),
        (r"quarr|carriere|granulat|sand pit|gravel|sabliere|graviere|extraction de pierres|argile", "08.12"),
        (r"mines?\b|mining|minier|miniere", "07.29"),
        (r"cement|ciment|clinker|lime manuf|chaux", "23.51"),
        (r"concrete|beton|block|parpaing|prefabri", "23.61"),
        (r"plaster|platre|gypsum board|plaque de platre", "23.62"),
        (r"brick|brique|tuile|tiles?\b|ceramic|ceramique|faience|porcelain", "23.32"),
        (r"rock ?wool|laine de roche|laine minerale|mineral wool|insulation", "23.99"),
        (r"glass|verre|verrier|vitr", "23.11"),
        (r"construction material|building material|materiaux de construction", "23.61"),
        (r"steel|acier|acierie|siderurg|iron\b|fonte\b|blast furnace|haut fourneau|laminoir", "24.10"),
        (r"alumin", "24.42"),
        (r"foundry|fonderie|casting", "24.51"),
        (r"copper|cuivre|electrolytic refining", "24.44"),
        (r"lead\b|plomb|zinc", "24.43"),
        (r"nickel|cobalt|titan(?!ium dioxide)|smelt|non ferr|metallurg", "24.45"),
        (r"precious metal|metaux precieux|silver|argent|gold", "24.41"),
        (r"galvan|surface treatment|traitement de surface|electroplat|anodis", "25.61"),
        (r"forge\b|forging|emboutissage|estampage|stamping", "25.50"),
        (r"machining|usinage|decolletage|metal work|metallurgie|chaudronnerie|mecanique", "25.62"),
        (r"titanium dioxide|pigment|dioxyde de titane", "20.12"),
        (r"industrial gas|gaz industriel|oxygen|nitrogen production|air liquide|hydrogen", "20.11"),
        (r"chlor|soda|caustic|soude", "20.13"),
        (r"fertili[sz]|engrais|ammonia|ammoniac|nitrate|urea|uree", "20.15"),
        (r"inorganic|inorganique|mineral chemi|silica|silice|phosph|sulphuric|sulfurique", "20.13"),
        (r"biofuel|biodiesel|bioethanol|ethanol|biocarburant", "20.59"),
        (r"plastic material|plastiques de base|polymer|polymere|resin|resine|pvc|polyethyl", "20.16"),
        (r"caoutchouc synthetique|synthetic rubber", "20.17"),
        (r"organic (?:basic )?chem|chimie organique|petrochemical", "20.14"),
        (r"paints?\b|painting|painters?\b|peinture|varnish|vernis|inks?\b|encre", "20.30"),
        (r"soap|detergent|savon|cosmeti", "20.41"),
        (r"pharma|medicament|drugs?\b", "21.20"),
        (r"chemi|chimi", "20.59"),
        (r"tyre|tire|pneu|rubber|caoutchouc", "22.11"),
        (r"plastic|plasturg|injection moulding|plastique|emballage plastique", "22.29"),
        (r"pulp|pate a papier|cellulose", "17.11"),
        (r"paper|papier|papeterie|carton|cardboard|packaging fact", "17.12"),
        (r"print\b|printing|imprim", "18.12"),
        (r"sawmill|scierie|wood factory|sciage", "16.10"),
        (r"plywood|panel|panneau|particle ?board|contreplaque|chipboard|osb", "16.21"),
        (r"joinery|menuiserie|charpente|wood|bois\b", "16.23"),
        (r"furniture|meuble|ameublement|coffin|cercueil", "31.09"),
        (r"leather|cuir|tanner|tannerie|tannage|maroquin|fourrure", "15.11"),
        (r"textile|tissage|filature|non tisses|knit|weav|spinning|dye|teintur", "13.30"),
        (r"clothing|vetement|habillement|confection", "14.13"),
        (r"slaughter|abattoir|meat|viande|charcuter|poultry process|volaille", "10.11"),
        (r"fish|poisson|seafood|mareyage|conserverie de poisson", "10.20"),
        (r"olive oil|olive mill|huilerie|oil mill|oil and fat|huile vegetale|oilseed|trituration", "10.41"),
        (r"fruit juice|jus de fruit|vegetable process|legume|potato|pommes? de terre|conserv", "10.39"),
        (r"fromage|cheese|dairy|laiterie|laitiers?\b|lait\b|milk|yaourt|yogurt|whey|lactos", "10.51"),
        (r"starch|amidon|flour|farine|minoterie|grain mill|moulins?\b", "10.61"),
        (r"bakery|boulanger|patisser|biscuit|pastry|noodle|pasta|pates alimentaires", "10.71"),
        (r"sugar|sucre|sucrerie", "10.81"),
        (r"chocolat|confiser|confection", "10.82"),
        (r"coffee|cafes?\b|torrefaction|tea\b", "10.83"),
        (r"feed mill|animal feed|aliment(?:s)? pour animaux|aliment du betail|petfood|pet food", "10.91"),
        (r"brewer|brasserie|beer|biere|malt\b|malterie", "11.05"),
        (r"distill|spirit|alcohol|alcool|rhum|cognac", "11.01"),
        (r"wine|vin\b|vins\b|winery|cave cooperative|viticult|champagne", "11.02"),
        (r"cider|cidre", "11.03"),
        (r"soft drink|beverage|boisson|eau minerale|soda\b", "11.07"),
        (r"food|agroalimentaire|agro alimentaire|agroindustr|agro industr|aliment", "10.89"),
        (r"greenhouse|serres?\b|maraich|horticult|mushroom|champignon|tomato|tomate", "01.13"),
        (r"algae|algue|aquacult|fish farm|pisciculture|aviary", "03.22"),
        (r"pigs?\b|porcs?\b|porcin|elevage|cattle|bovin|dairy farm", "01.46"),
        (
            r"farms?\b|fermes?\b|agricult|exploitation agricole|cane field|crops?\b|cereal|cereale|vineyard|"
            r"vignes?\b|vignoble|seeds?\b",
            "01.11",
        ),
        (r"forest|foret|sylvicult|exploitation forestiere", "02.20"),
        (r"carross", "29.20"),
        (r"automo|car manuf|vehicle|vehicule|constructeur auto|equipementier", "29.10"),
        (r"aircraft|aeronaut|aerospace", "30.30"),
        (r"electronic|electroniq|semiconductor|photovoltai|pcb\b|printed circuit", "26.11"),
        (r"battery|batterie|accumulat", "27.20"),
        (r"electrical equipment|materiel electrique|cable", "27.32"),
        (r"machinery|machine|engine|moteur|equipment manuf", "28.29"),
        (r"toys?\b|jouet", "32.40"),
        (
            r"road|route|routier|travaux publics|civil engineering|genie civil|embankment|terrassement",
            "42.11",
        ),
        (r"demolition|construction company|btp|batiment|building contractor|construction", "41.20"),
        (r"logisti|warehouse|entrepot|transport", "52.10"),
        (r"commerce", "47.11"),
        (r"restaurant|canteen|cantine|restauration|catering|traiteur", "56.29"),
        (r"hotel|hebergement", "55.10"),
        (r"hospital|hopital|clinique|clinic", "86.10"),
        (r"school|ecole|lycee|college|universit", "85.31"),
        (r"swimming|piscine|sport", "93.11"),
        (r"airport|aeroport", "52.23"),
        (r"exhibition|parc des expositions|museum|musee", "91.02"),
        (
            r"urban|city|town|municipal|residential|housing|villes?\b|communes?\b|quartier|logement|habitat|"
            r"collectivite|metropole|agglomeration|residents|citizens|households|menages",
            URBAN,
        ),
    ]
)


def nace_from_text(text: str) -> str | None:
    """The NACE class (or URBAN) named by an activity text in French or English, or None."""
    folded = fold(text)
    for rule in ACTIVITY_RULES:
        if rule.pattern.search(folded):
            return rule.nace
    return None


# --- how much: tonnes of waste per employee and per year, by NACE prefix ---------------------------------
# Orders of magnitude, not measurements: the sector tonnages of INSEE's surveys on the production of
# non-hazardous waste in industry (INSEE Première « La production de déchets non dangereux dans l'industrie
# manufacturière en 2008 »: wood 3.6 Mt, paper-card and printing 3.1 Mt, metallurgy 2.6 Mt, machinery,
# electrical and transport equipment 2.3 Mt; Insee Références « Les entreprises en France » 2019, survey 2016:
# 14 Mt for manufacturing establishments of 10 employees or more, 4.5 Mt for retail and wholesale; construction
# 245 Mt of mineral waste in 2008) divided by the rounded salaried headcount of each sector. Configurable
# (`Parameters.waste_t_per_employee`); a territory replaces them with its own figures.
WASTE_FACTOR_SOURCE = (
    "ordre de grandeur : tonnages des enquêtes INSEE sur les déchets non dangereux de l'industrie "
    "(2008, 2016) rapportés aux effectifs salariés du secteur"
)
WASTE_T_PER_EMPLOYEE = {
    "10": 10.0,  # agri-food: organic by-products and sludges
    "11": 10.0,
    "13": 4.0,
    "14": 2.0,
    "15": 4.0,
    "16": 40.0,  # wood: 3.6 Mt for ≈ 90,000 employees
    "17": 25.0,  # paper and card
    "18": 5.0,
    "20": 8.0,
    "21": 3.0,
    "22": 4.0,
    "23": 8.0,
    "24": 15.0,  # metallurgy (non-mineral waste only: slags come on top)
    "25": 4.0,
    "26": 2.0,
    "27": 3.0,
    "28": 3.0,
    "29": 3.0,
    "30": 3.0,
    "31": 6.0,
    "32": 2.0,
    "33": 2.0,
    "41": 150.0,  # construction: mineral waste
    "42": 150.0,
    "43": 150.0,
    "46": 1.5,
    "47": 1.5,
}
# Confidence of a quantity so estimated, relative to the flow's (an order of magnitude: low).
QUANTITY_CONFIDENCE = 0.5
