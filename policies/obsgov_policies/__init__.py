"""obsgov's CrossGuard policy library.

Each subpackage is a policy pack: its ``__init__`` declares the pack's ``DESCRIPTION`` and
each of its modules is one policy, registered with its metadata by
:func:`obsgov_policies.catalog.policy`. The modules beside the packs are helpers shared by
policies (reading properties, tags, alarms, S3 configuration, model packages and where their
approval comes from); :mod:`obsgov_policies.tag_rules` is plain Python that obsgov's config
loader shares. The pack folders under ``policies/<pack>/`` call
:func:`obsgov_policies.packs.build_pack`. Policy logic is plain functions of ``pulumi_policy``
arguments, importable and testable without starting a pack.
"""
