"""``obsgov opensearch bootstrap`` against a local HTTP stub of the domain's REST API."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from obsgov.cli import app
from obsgov.opensearch.bootstrap import TEMPLATES, load_documents
from obsgov.opensearch.ism import for_storage
from obsgov.opensearch.security import security_documents

OBS = "100000000002"  # the observability account of stacks/organization.yaml


SECURITY = "/_plugins/_security/api/"


class FakeDomain(BaseHTTPRequestHandler):
    """Enough of OpenSearch's index template and ISM APIs to observe what bootstrap sends."""

    templates: dict
    policies: dict
    security: dict  # "roles/<name>" and "rolesmapping/<name>" -> body
    requests: list
    refuse: bool = False

    def log_message(self, *args):  # keep test output quiet
        pass

    def _reply(self, status, body):
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _record(self, body=None):
        self.requests.append((self.command, self.path, dict(self.headers), body))

    def do_GET(self):
        self._record()
        if self.refuse:
            return self._reply(403, {"message": "no permissions for [indices:admin/template/get]"})
        if self.path.startswith(SECURITY):
            key = self.path[len(SECURITY) :]
            if key not in self.security:
                return self._reply(404, {"status": "NOT_FOUND"})
            name = key.rsplit("/", 1)[-1]
            # as the security plugin answers: the stored body plus its own flags
            stored = {**self.security[key], "reserved": False, "hidden": False, "static": False}
            return self._reply(200, {name: stored})
        if self.path.startswith("/_index_template/"):
            name = self.path.rsplit("/", 1)[-1]
            if name not in self.templates:
                return self._reply(404, {"error": "not found"})
            return self._reply(
                200, {"index_templates": [{"name": name, "index_template": self.templates[name]}]}
            )
        name = self.path.rsplit("/", 1)[-1]
        if name not in self.policies:
            return self._reply(404, {"error": "not found"})
        return self._reply(
            200,
            {
                "_id": name,
                "_seq_no": 4,
                "_primary_term": 1,
                "policy": {
                    **self.policies[name]["policy"],
                    "policy_id": name,
                    "last_updated_time": 1,
                },
            },
        )

    def do_PUT(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._record(body)
        if self.path.startswith(SECURITY):
            self.security[self.path[len(SECURITY) :]] = body
            return self._reply(201, {"status": "CREATED"})
        name = self.path.split("?")[0].rsplit("/", 1)[-1]
        target = self.templates if self.path.startswith("/_index_template/") else self.policies
        target[name] = body
        self._reply(200, {"acknowledged": True})


@pytest.fixture
def domain(aws_credentials):
    handler = type(
        "Handler",
        (FakeDomain,),
        {"templates": {}, "policies": {}, "security": {}, "requests": []},
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _bootstrap(endpoint):
    return CliRunner().invoke(
        app, ["opensearch", "bootstrap", "--env", "prod", "--endpoint", endpoint]
    )


def test_first_run_creates_every_shipped_document_with_signed_requests(domain):
    handler, endpoint = domain
    result = _bootstrap(endpoint)
    assert result.exit_code == 0, result.output
    assert "created   index-template obsgov-logs" in result.output
    assert "created   ism-policy obsgov-logs-retention" in result.output
    assert "created   roles-mapping obsgov_log_ingest" in result.output
    puts = [(path, body) for method, path, _, body in handler.requests if method == "PUT"]
    # prod has UltraWarm (Pulumi.prod.yaml): its retention policy migrates to the warm nodes
    tiered = for_storage(load_documents(), warm=True, cold=False)
    shipped = {d.path: d.body for d in [*tiered, *security_documents("prod", OBS)]}
    assert dict(puts) == shipped
    (policy,) = [b for p, b in puts if p.startswith("/_plugins/_ism/")]
    assert any("warm_migration" in a for s in policy["policy"]["states"] for a in s["actions"])
    # Firehose is refused (403) until its role is mapped, so mapping it last means no log index
    # can exist before the ISM policy whose ism_template manages each new one; the role exists
    # before the mapping that names it.
    assert [path for path, _ in puts][-2:] == [
        "/_plugins/_security/api/roles/obsgov_log_ingest",
        "/_plugins/_security/api/rolesmapping/obsgov_log_ingest",
    ]
    for _, _, headers, _ in handler.requests:
        authorization = headers["Authorization"]
        assert authorization.startswith("AWS4-HMAC-SHA256 Credential=testing/")
        assert "/eu-west-1/es/aws4_request" in authorization
        assert "X-Amz-Date" in headers


def test_a_rerun_only_reads(domain):
    handler, endpoint = domain
    assert _bootstrap(endpoint).exit_code == 0
    handler.requests.clear()
    result = _bootstrap(endpoint)
    assert result.exit_code == 0
    assert "unchanged" in result.output
    assert {method for method, *_ in handler.requests} == {"GET"}


def test_a_changed_policy_is_updated_with_its_sequence_numbers(domain):
    handler, endpoint = domain
    assert _bootstrap(endpoint).exit_code == 0
    handler.policies["obsgov-logs-retention"]["policy"]["default_state"] = "warm"
    handler.requests.clear()
    result = _bootstrap(endpoint)
    assert "updated   ism-policy obsgov-logs-retention" in result.output
    [put] = [path for method, path, *_ in handler.requests if method == "PUT"]
    assert put == "/_plugins/_ism/policies/obsgov-logs-retention?if_seq_no=4&if_primary_term=1"


def test_a_refusing_domain_exits_4_with_the_request_named(domain):
    handler, endpoint = domain
    handler.refuse = True
    result = _bootstrap(endpoint)
    assert result.exit_code == 4
    assert "GET /_index_template/obsgov-logs answered 403" in result.output


def test_plain_http_is_refused_off_loopback(aws_credentials):
    result = _bootstrap("http://search.example.com")
    assert result.exit_code == 2
    assert "--endpoint: 'http://search.example.com' must be an https:// URL" in result.output


def test_shipped_documents_are_wellformed_and_consistent():
    documents = {d.name: d for d in load_documents()}
    template, policy = documents["obsgov-logs"], documents["obsgov-logs-retention"]
    # ISM manages a new index through the policy's ism_template; the index setting
    # plugins.index_state_management.policy_id stopped attaching policies in ISM 1.13
    # (opensearch-project/index-management#357), so the template must not rely on it.
    assert "plugins.index_state_management.policy_id" not in json.dumps(template.body)
    assert (
        policy.body["policy"]["ism_template"][0]["index_patterns"]
        == template.body["index_patterns"]
    )
    states = {s["name"] for s in policy.body["policy"]["states"]}
    for state in policy.body["policy"]["states"]:
        assert {t["state_name"] for t in state["transitions"]} <= states
    assert sorted(p.name for p in TEMPLATES.glob("*.json")) == [
        "index-template.obsgov-logs.json",
        "ism-policy.obsgov-logs-retention.json",
    ]


def test_bad_template_files_are_input_errors(tmp_path):
    from obsgov.errors import InputError

    (tmp_path / "index-template.x.json").write_text("{nope")
    (tmp_path / "stray.json").write_text("{}")
    with pytest.raises(InputError) as exc:
        load_documents(tmp_path)
    messages = [str(p) for p in exc.value.problems]
    # read through obsgov.io, which names where the JSON breaks
    assert any("index-template.x.json: line 1 column 2: invalid JSON" in m for m in messages)
    assert any("stray.json: file names must be" in m for m in messages)


# --------------------------------------------------------------------------- lifecycle


def _ages(policy: dict) -> dict[str, int]:
    """The state each index enters, by the index age (days) at which it enters it."""
    ages = {policy["default_state"]: 0}
    for state in policy["states"]:
        for transition in state["transitions"]:
            age = transition["conditions"]["min_index_age"]
            assert age.endswith("d"), age
            ages[transition["state_name"]] = int(age[:-1])
    return ages


def test_every_log_index_goes_hot_then_read_only_then_deleted():
    """Firehose writes one index a day (indexRotationPeriod OneDay): each must leave the hot
    state read-only and merged, and be deleted, or 3 x 500 GiB fills and the domain blocks
    writes (ClusterIndexWritesBlocked)."""
    [policy] = [d.body["policy"] for d in load_documents() if d.kind == "ism-policy"]
    ages = _ages(policy)
    assert list(ages) == ["hot", "warm", "delete"]
    assert 0 < ages["warm"] < ages["delete"] <= 90
    states = {s["name"]: s for s in policy["states"]}
    assert {next(iter(a)) for a in states["warm"]["actions"]} == {"read_only", "force_merge"}
    assert states["delete"]["actions"] == [{"delete": {}}]
    [template] = policy["ism_template"]
    assert template["index_patterns"] == ["obsgov-logs*"]


# --------------------------------------------------------------------------- access control


def test_the_mapping_names_the_role_the_log_ingest_stream_delivers_as():
    from components.central.log_analytics_documents import names

    role, mapping = security_documents("prod", OBS)
    assert (role.kind, mapping.kind) == ("security-role", "roles-mapping")
    assert role.name == mapping.name == "obsgov_log_ingest"
    firehose_role = names("prod", OBS)["firehose_role"]
    assert mapping.body["backend_roles"] == [f"arn:aws:iam::{OBS}:role/{firehose_role}"]
    # the permissions AWS lists for Firehose under fine-grained access control
    # (docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html), on the log
    # indexes only
    assert role.body["cluster_permissions"] == ["cluster_composite_ops", "cluster_monitor"]
    [indexes] = role.body["index_permissions"]
    assert indexes == {
        "index_patterns": ["obsgov-logs*"],
        "allowed_actions": ["create_index", "manage", "crud"],
    }


def test_a_mapping_that_lost_the_firehose_role_is_written_again(domain):
    handler, endpoint = domain
    assert _bootstrap(endpoint).exit_code == 0
    handler.security["rolesmapping/obsgov_log_ingest"]["backend_roles"] = []
    handler.requests.clear()
    result = _bootstrap(endpoint)
    assert result.exit_code == 0, result.output
    assert "updated   roles-mapping obsgov_log_ingest" in result.output
    [(path, body)] = [(p, b) for m, p, _, b in handler.requests if m == "PUT"]
    assert path == "/_plugins/_security/api/rolesmapping/obsgov_log_ingest"
    assert body["backend_roles"] == [f"arn:aws:iam::{OBS}:role/obsgov-prod-log-ingest-firehose"]
