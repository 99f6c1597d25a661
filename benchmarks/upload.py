"""Upload a place-name CSV through the dashboard's route and open it: how long each step takes.

Builds the same file as ``benchmarks/geocode.py`` (``--rows`` incidents naming ``--names`` distinct
places), posts it to ``POST /upload`` of an app built by ``create_app`` (Flask's test client, in
this process: the server's own work, no network), then asks for its page (``/?data=<sha256>``) and
layout. Prints one JSON line. The import cache is a temporary folder.

Needs the GeoNames dump and the boundary files: ``$UNREST_MAP_GEONAMES`` and
``$UNREST_MAP_BOUNDARIES`` (or ``../shared/gazetteer`` and ``../shared/geodata``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
for variable, folder in (("UNREST_MAP_GEONAMES", "gazetteer"), ("UNREST_MAP_BOUNDARIES", "geodata")):
    shared = HERE.parents[1] / "shared" / folder
    if variable not in os.environ and shared.is_dir():
        os.environ[variable] = str(shared)
sys.path.insert(0, str(HERE))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--names", type=int, default=1_000)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        os.environ["UNREST_MAP_CACHE"] = str(Path(folder) / "cache")
        from geocode import names_for, write_file  # benchmarks/geocode.py: the same file

        from dashboard.app import create_app
        from geodata.dataset import load_dataset
        from geodata.geonames import load_geonames

        path = Path(folder) / "incidents.csv"
        rng = random.Random(2008)
        write_file(path, names_for(load_geonames(), args.names, rng), args.rows, rng)
        size = path.stat().st_size
        t0 = time.perf_counter()
        client = create_app(load_dataset()).server.test_client()
        t1 = time.perf_counter()
        with path.open("rb") as handle:
            answer = client.post(
                "/upload", data={"file": (handle, path.name)}, content_type="multipart/form-data"
            )
        t2 = time.perf_counter()
        sha = answer.json["data"]
        page = client.get(f"/?data={sha}")
        layout = client.get(f"/d/{sha}/_dash-layout")
        t3 = time.perf_counter()
        client.get(f"/?data={sha}")
        t4 = time.perf_counter()
        text = layout.get_data(as_text=True)
        counts = re.search(r"[\d,]+ rows read = [\d,]+ placed \+ [\d,]+ reported", text).group(0)
    result = {
        "rows": args.rows,
        "bytes": size,
        "report": counts,
        "default_app_s": round(t1 - t0, 3),
        "upload_route_s": round(t2 - t1, 3),  # store + hash + read + geocode + join + cache + report + app
        "page_and_layout_s": round(t3 - t2, 3),
        "page_again_s": round(t4 - t3, 3),
        "layout_bytes": len(text),
        "status": [answer.status_code, page.status_code, layout.status_code],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
