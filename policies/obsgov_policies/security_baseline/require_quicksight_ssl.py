"""QuickSight data sources connect over SSL."""

from ..aws_types import QUICKSIGHT_DATA_SOURCE
from ..catalog import policy
from ..props import as_bool, get


@policy(
    id="obsgov-quicksight-datasource-require-ssl",
    description="QuickSight data sources must connect over SSL.",
    severity="high",
    service="quicksight",
    resource_types=(QUICKSIGHT_DATA_SOURCE,),
    remediation="Remove ssl_properties.disable_ssl or set it to false.",
)
def require_quicksight_ssl(args, report_violation):
    if as_bool(get(args.props, "sslProperties", "disableSsl")):
        report_violation(
            "The data source disables SSL, so queries and results cross the network in clear text."
        )
