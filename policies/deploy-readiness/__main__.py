"""obsgov deploy-readiness pack. The policies live in the obsgov_policies library.

The pack runs in the project's environment, where ``pip install -e .`` installed the library;
``obsgov policy bundle`` writes a self-contained copy of this pack for ``pulumi policy publish``.
"""

from obsgov_policies.packs import build_pack

build_pack("deploy-readiness")
