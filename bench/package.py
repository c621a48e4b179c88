"""Deployment package: the zipped size of the Lambda code asset.

Bundled with infra/bundling.py's own bundler (`LocalPipBundling`, exactly what `cdk synth` runs:
pip-installed wheels for the deployed runtime and architecture) into a temporary directory,
then zipped as CDK zips an asset directory (deflate). Both functions deploy this one asset.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any


def zip_size(directory: Path, target: Path) -> tuple[int, int, Counter[str]]:
    """(zipped bytes, unzipped bytes, zipped bytes by top-level entry)."""
    by_top: Counter[str] = Counter()
    raw = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                name = path.relative_to(directory).as_posix()
                archive.write(path, name)
                raw += path.stat().st_size
    with zipfile.ZipFile(target) as archive:
        for info in archive.infolist():
            top = info.filename.split("/", 1)[0]
            top = top.split("-")[0] if top.endswith(".dist-info") else top
            by_top[top] += info.compress_size + len(info.filename) + 76  # + headers, roughly
    return target.stat().st_size, raw, by_top


def run() -> dict[str, Any]:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from infra.bundling import LocalPipBundling
    from infra.functions import ARCHITECTURE, RUNTIME

    with tempfile.TemporaryDirectory(prefix="belltower-asset-") as tmp:
        asset = Path(tmp) / "asset"
        asset.mkdir()
        LocalPipBundling(RUNTIME, ARCHITECTURE).try_bundle(str(asset))
        zipped, raw, by_top = zip_size(asset, Path(tmp) / "asset.zip")
    return {"runtime": RUNTIME.name, "architecture": ARCHITECTURE.name, "zipped": zipped, "unzipped": raw,
            "largest": by_top.most_common(12)}  # fmt: skip
