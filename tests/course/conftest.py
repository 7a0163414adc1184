"""The course's tests: the producer path's step-by-step reveal at a quick pace."""

from __future__ import annotations

import pytest

from kafkatui.tui.widgets.producer_path import ProducerPath


@pytest.fixture(autouse=True)
def quick_reveal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ProducerPath, "STEP_DELAY", 0.01)
