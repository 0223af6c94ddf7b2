from tests.model_guard.conftest import registry  # noqa: F401 - the shared moto registry fixture
