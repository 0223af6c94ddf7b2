"""Pipeline freshness from the data itself: the age of the newest object or partition each
pipeline wrote, measured from the platform side and published as ``DataAge`` / ``DataStale``.
Standard library and boto3 only, so the scheduled function ships as this package."""
