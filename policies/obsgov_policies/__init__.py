"""obsgov's CrossGuard policy library.

One policy per module, registered with its metadata in :mod:`obsgov_policies.registry`; the
packs under ``policies/<pack>/`` select from the registry. The logic is plain functions of
``pulumi_policy`` arguments, importable and testable without starting a pack.
"""
