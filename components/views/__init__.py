"""The views on top, in the observability account.

* ``ops_dashboards``   - the cross-account CloudWatch dashboards for the on-call
* ``business_views``   - the QuickSight data source and SPICE datasets
"""
