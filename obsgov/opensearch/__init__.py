"""What Pulumi cannot set on the log analytics domain: index templates and ISM policies, kept as
JSON files beside this module and applied over the domain's REST API with signed requests."""
