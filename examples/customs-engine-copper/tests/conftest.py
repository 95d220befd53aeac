"""Every test here runs the copper plugin alone: the kit's engines load only this entry point."""

import pytest


@pytest.fixture
def customs_plugins() -> list[str]:
    return ["copper"]
