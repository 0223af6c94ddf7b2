"""Sharing the SDK's conversion between a pack's stack policies changes no verdict
(pulumi_policy/policy.py, _PolicyAnalyzerServicer.AnalyzeStack converts per policy)."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import json, sys
from pulumi_policy import EnforcementLevel, StackValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi.runtime.proto import analyzer_pb2 as proto
from google.protobuf import struct_pb2
if sys.argv[1] == "shared":
    from obsgov_policies.shared_conversion import install
    install(); install()
seen = []
def record(args, report):
    seen.append([id(r.props) for r in args.resources])
    for r in args.resources:
        report(f"{r.name}:{r.props['name']}:{r.provider.props['region']}", r.urn)
policies = [StackValidationPolicy(name=f"p{i}", description="d", validate=record) for i in range(3)]
servicer = _PolicyAnalyzerServicer("x", "0", policies, EnforcementLevel.ADVISORY)
request = proto.AnalyzeStackRequest()
for i in range(4):
    r = request.resources.add(type="aws:sns/topic:Topic", urn=f"urn:{i}", name=f"t{i}")
    r.properties.update({"name": f"n{i}"})
    r.provider.CopyFrom(proto.AnalyzerProviderResource(type="pulumi:providers:aws",
                        urn="urn:p", name="p"))
    r.provider.properties.update({"region": "eu-west-1"})
answer = servicer.AnalyzeStack(request, None)
print(json.dumps({"messages": [d.message for d in answer.diagnostics],
                  "shared": len({tuple(s) for s in seen}) == 1}))
"""


def _run(mode):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    return json.loads(out.stdout)


def test_shared_conversion_gives_the_same_diagnostics_and_shares_the_objects():
    plain, shared = _run("plain"), _run("shared")
    assert shared["messages"] == plain["messages"]
    assert len(plain["messages"]) == 12
    assert shared["shared"] is True
    assert plain["shared"] is False
