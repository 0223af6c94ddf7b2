"""obsgov tagging pack. The policies live in ../obsgov_policies (shared by all packs)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from obsgov_policies.packs import build_pack  # noqa: E402

build_pack("tagging")
