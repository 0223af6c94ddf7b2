"""The offline policy gate: what ``pulumi preview --policy-pack`` does to a resource graph,
driving the real packs over the Analyzer protocol (see ``engine.py`` for the entry points)."""
