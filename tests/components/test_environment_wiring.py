"""How a shipped environment's config reaches the central components: the dashboards' panels,
the business views' lifecycle archive and the approval guard's rules."""

from __future__ import annotations

import json

from obsgov.config.models import BusinessKpi, MlEndpoint


def _widgets(graph):
    [dashboard] = graph.of_type("aws:cloudwatch/dashboard:Dashboard")
    return {
        w["properties"]["title"]: w["properties"]
        for w in json.loads(dashboard.inputs["dashboardBody"])["widgets"]
        if "metrics" in w.get("properties", {})
    }


def _metric_options(widget):
    return [m[-1] for m in widget["metrics"] if isinstance(m[0], str)]


def test_endpoint_panels_read_each_endpoint_in_its_own_account(prod, example_env):
    env = example_env("prod")
    widgets = _widgets(prod)
    checked = 0
    for account in env.member_accounts:
        for w in env.workloads_for(account):
            if isinstance(w, MlEndpoint):
                panels = [t for t in widgets if t.startswith(f"{w.name} ({account.id}):")]
                assert len(panels) == 3, (w.name, list(widgets))
                for title in panels:
                    assert {o["accountId"] for o in _metric_options(widgets[title])} == {account.id}
                checked += 1
    assert checked == 2


def test_kpi_panels_use_the_configured_statistic(prod, example_env):
    env = example_env("prod")
    widgets = _widgets(prod)
    statistics = set()
    for account in env.member_accounts:
        for w in env.workloads_for(account):
            if isinstance(w, BusinessKpi):
                [title] = [t for t in widgets if t.startswith(f"KPI {w.name} ({account.id})")]
                [options] = _metric_options(widgets[title])
                assert options["stat"] == w.statistic
                statistics.add(w.statistic)
    assert statistics == {"Sum", "Average"}


def test_lineage_dataset_reads_the_lifecycle_archive_table(prod):
    tables = {
        r.inputs["databaseName"]: r.inputs["name"]
        for r in prod.of_type("aws:glue/catalogTable:CatalogTable")
    }
    assert tables["obsgov_prod_lifecycle"] == "events"
    datasets = {
        d.inputs["dataSetId"]: d.inputs for d in prod.of_type("aws:quicksight/dataSet:DataSet")
    }
    sql = datasets["obsgov-prod-model-approvals-lineage"]["physicalTableMaps"][0]["customSql"]
    assert '"obsgov_prod_lifecycle"."events"' in sql["sqlQuery"]


def test_the_approval_guard_runs_with_the_environments_rules(prod, example_env):
    rules = example_env("prod").settings.model_approval.guard_rules("prod").to_json()
    [function] = [
        f for f in prod.of_type("aws:lambda/function:Function") if f.name.startswith("model-guard-")
    ]
    assert function.inputs["environment"]["variables"]["OBSGOV_GUARD_RULES"] == rules
    assert json.loads(rules)["environment"] == "prod"
