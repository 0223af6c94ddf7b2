"""The observability pack's policies."""

DESCRIPTION = "Alarms are actionable and valid; logs are kept and encrypted; workloads are alarmed."
