"""Reading vector tiles in tests: GDAL's own MVT driver decodes what the server answered."""

import json
import math
import subprocess
import sys

import shapely

DECODE_TILE = """
import json, sys
import pyogrio
layers = [name for name, _ in pyogrio.list_layers(sys.argv[1])]
out = {}
for layer in layers:
    meta, _fids, geometries, fields = pyogrio.raw.read(sys.argv[1], layer=layer)
    rows = [[v.item() if hasattr(v, "item") else v for v in values] for values in zip(*fields)]
    out[layer] = {"names": list(meta["fields"]), "rows": rows, "geometries": [g.hex() for g in geometries]}
print(json.dumps(out))
"""


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The XYZ tile holding a WGS84 point at zoom `z`."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def decode_tile(tmp_path, content: bytes, z: int, x: int, y: int) -> dict:
    """{layer: (rows as dicts, shapely geometries in Web Mercator)} of a tile's bytes."""
    if not content:
        return {}
    # GDAL reads one tile file and georeferences it from its z/x/y path.
    path = tmp_path / f"t{len(list(tmp_path.glob('t*')))}" / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    # In a process of its own: the importers restrict this process's GDAL to the upload drivers
    # (tandem.imports.spatial.harden_gdal), which leaves out MVT once any import test has run.
    decoded = subprocess.run(
        [sys.executable, "-c", DECODE_TILE, str(path)], capture_output=True, text=True, check=True
    )
    layers = {}
    for name, tile in json.loads(decoded.stdout).items():
        rows = [dict(zip(tile["names"], values, strict=True)) for values in tile["rows"]]
        layers[name] = (rows, shapely.from_wkb([bytes.fromhex(g) for g in tile["geometries"]]))
    return layers


def read_tile(tmp_path, client, url: str, z: int, x: int, y: int) -> dict:
    """GET a tile (`url` a template with {z}/{x}/{y}) as `client` and decode it."""
    response = client.get(url.format(z=z, x=x, y=y))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return decode_tile(tmp_path, response.content, z, x, y)
