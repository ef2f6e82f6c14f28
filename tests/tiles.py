"""Reading vector tiles in tests: GDAL's own MVT driver decodes what the server answered."""

import atexit
import json
import math
import subprocess
import sys

import shapely

DECODER = """
import json, sys
import pyogrio
for line in sys.stdin:
    path, mode = json.loads(line)
    options = {} if mode == "clip" else {"CLIP": "NO"}
    out = {}
    for layer in [name for name, _ in pyogrio.list_layers(path)]:
        meta, _fids, geometries, fields = pyogrio.raw.read(path, layer=layer, **options)
        rows = [[v.item() if hasattr(v, "item") else v for v in values] for values in zip(*fields)]
        out[layer] = {"names": list(meta["fields"]), "rows": rows, "geometries": [g.hex() for g in geometries]}
    print(json.dumps(out), flush=True)
"""


class _Decoder:
    """One GDAL process per test process, started at the first tile and reading one tile path per line: in a
    process of its own because the importers restrict this process's GDAL to the upload drivers
    (tandem.imports.spatial.harden_gdal), which leaves out MVT once any import test has run."""

    process = None

    @classmethod
    def decode(cls, path, clip: bool) -> dict:
        if cls.process is None or cls.process.poll() is not None:
            cls.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-c", DECODER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            atexit.register(cls.process.kill)
        cls.process.stdin.write(json.dumps([str(path), "clip" if clip else "noclip"]) + "\n")
        cls.process.stdin.flush()
        line = cls.process.stdout.readline()
        if not line:
            cls.process = None
            raise RuntimeError(f"le décodeur de tuiles s'est arrêté sur {path}")
        return json.loads(line)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The XYZ tile holding a WGS84 point at zoom `z`."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def decode_tile(tmp_path, content: bytes, z: int, x: int, y: int, *, clip: bool = True) -> dict:
    """{layer: (rows as dicts, shapely geometries in Web Mercator)} of a tile's bytes; GDAL clips them to the
    tile unless `clip` is False (then what lies in the tile's buffer is read too)."""
    if not content:
        return {}
    # GDAL reads one tile file and georeferences it from its z/x/y path.
    path = tmp_path / f"t{len(list(tmp_path.glob('t*')))}" / str(z) / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    layers = {}
    for name, tile in _Decoder.decode(path, clip).items():
        rows = [dict(zip(tile["names"], values, strict=True)) for values in tile["rows"]]
        layers[name] = (rows, shapely.from_wkb([bytes.fromhex(g) for g in tile["geometries"]]))
    return layers


def read_tile(tmp_path, client, url: str, z: int, x: int, y: int, *, clip: bool = True) -> dict:
    """GET a tile (`url` a template with {z}/{x}/{y}) as `client` and decode it."""
    response = client.get(url.format(z=z, x=x, y=y))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return decode_tile(tmp_path, response.content, z, x, y, clip=clip)
