"""Athena's table over the organization trail: which Regions it projects, which SerDe reads it,
and which days it can answer for.

- Regions: the trail is multi-region, so the table must project every Region anything runs in:
  ``analytics.regions``, else the organization's allowed Regions (``accountFactory``), else the
  stack's; always us-east-1, where global service events land (CloudTrail user guide, "Global
  service events": https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html#cloudtrail-concepts-global-service-events).
- SerDe: Athena's CloudTrail table reads with ``org.apache.hive.hcatalog.data.JsonSerDe`` over
  ``com.amazon.emr.cloudtrail.CloudTrailInputFormat``
  (https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html).
- Days: Athena skips objects in GLACIER and DEEP_ARCHIVE until restored
  (https://docs.aws.amazon.com/athena/latest/ug/querying-glacier.html), so the table stops at
  the last whole day still readable (date projection takes relative ranges such as
  ``NOW-3YEARS,NOW``: https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html),
  and a configured query window may not outlast the archive's move to those classes.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.audit.audit_analytics import projected_regions, projection_range
from obsgov.config.models.central import ArchiveSettings, CentralAuditSettings


def _table(graph):
    [table] = [
        r
        for r in graph.of_type("aws:glue/catalogTable:CatalogTable")
        if r.name.startswith("audit-")
    ]
    return table.inputs


def test_prod_projects_the_organizations_allowed_regions_and_readable_days(example_graph):
    table = _table(example_graph("prod", True))
    params = table["parameters"]
    # stacks/organization.yaml accountFactory.allowedRegions: [eu-west-1, us-east-1]
    assert params["projection.region.values"] == "eu-west-1,us-east-1"
    # stacks/Pulumi.prod.yaml archives to DEEP_ARCHIVE after 365 days
    assert params["projection.logdate.range"] == "NOW-364DAYS,NOW"
    storage = table["storageDescriptor"]
    assert storage["serDeInfo"]["serializationLibrary"] == "org.apache.hive.hcatalog.data.JsonSerDe"
    assert storage["inputFormat"] == "com.amazon.emr.cloudtrail.CloudTrailInputFormat"


@pytest.mark.parametrize(
    ("configured", "allowed", "expected"),
    [
        ([], [], ["eu-west-1", "us-east-1"]),
        ([], ["eu-west-1", "eu-central-1"], ["eu-central-1", "eu-west-1", "us-east-1"]),
        (["ap-southeast-2"], ["eu-west-1"], ["ap-southeast-2", "us-east-1"]),
        (["us-east-1"], [], ["us-east-1"]),
    ],
)
def test_regions_come_from_config_with_the_global_events_region(configured, allowed, expected):
    assert projected_regions(configured, allowed, "eu-west-1") == expected


def test_the_range_stops_where_athena_can_no_longer_read():
    assert projection_range("2024/01/01", None) == "2024/01/01,NOW"
    assert projection_range("2024/01/01", 365) == "NOW-364DAYS,NOW"
    assert projection_range("2024/01/01", 180) == "NOW-179DAYS,NOW"


def test_only_glacier_and_deep_archive_end_the_readable_history():
    archive = ArchiveSettings.model_validate(
        {
            "transitions": [
                {"days": 30, "storageClass": "STANDARD_IA"},
                {"days": 90, "storageClass": "GLACIER_IR"},
                {"days": 400, "storageClass": "DEEP_ARCHIVE"},
            ]
        }
    )
    assert archive.first_unqueryable_day == 400
    assert ArchiveSettings().first_unqueryable_day is None


def test_a_query_window_longer_than_the_readable_archive_is_refused():
    settings = {
        "archive": {"transitions": [{"days": 365, "storageClass": "DEEP_ARCHIVE"}]},
        "analytics": {"queryWindowDays": 400},
    }
    with pytest.raises(ValidationError) as caught:
        CentralAuditSettings.model_validate(settings)
    assert (
        "analytics.queryWindowDays is 400 but archive.transitions move the trail to a storage "
        "class Athena cannot read (GLACIER, DEEP_ARCHIVE) after 365 days"
    ) in str(caught.value)
    settings["analytics"] = {"queryWindowDays": 365}
    assert CentralAuditSettings.model_validate(settings).analytics.query_window_days == 365
