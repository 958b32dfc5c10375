"""The reference history every benchmark loads: the sample bundled with the package
(``smallcap/sample_data``), uncompressed once per run into a temporary folder that is
removed at exit. Imported by the scripts beside it (``from reference import DATA``)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from smallcap.sources import sample

DATA: Path = sample.extract(tempfile.mkdtemp(prefix="smallcap-bench-"))
atexit.register(shutil.rmtree, DATA, ignore_errors=True)
