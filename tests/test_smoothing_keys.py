"""The smoothing keys ``[`` and ``]`` step on one grid, as TensorBoard's slider does."""

from __future__ import annotations

import pytest
from test_app import fixture_app


async def test_smoothing_steps_down_from_its_top_on_the_same_grid():
    """0.99, the top, stepped down to 0.94, 0.89 … 0.59: TensorBoard's 0.6 could not be had again."""
    app = fixture_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*["right_square_bracket"] * 10)
        assert app.view.weight == pytest.approx(0.99)
        await pilot.press("left_square_bracket")
        assert app.view.weight == pytest.approx(0.95)
        await pilot.press(*["left_square_bracket"] * 7)
        assert app.view.weight == pytest.approx(0.6)
        await pilot.press(*["left_square_bracket"] * 15)
        assert app.view.weight == 0.0
