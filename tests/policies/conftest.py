"""Markers for the policy tests a mutation run leaves out (see docs/mutation-testing.md)."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "pack_folders: uses the pack folders under policies/ and starts real pack processes; "
        "a mutation run copies only the library, and could not reach into the processes",
    )
    config.addinivalue_line(
        "markers", "fuzz: random inputs checked for robustness, not for a verdict"
    )
