"""The state store: every run's curves, histograms and file health, in numpy arrays.

It knows nothing of verdicts: the judging layer reads it, the live layer fills it.
"""

from tui.store.runs import Change, Run, Store
from tui.store.series import HistogramSeries, Series

__all__ = ["Change", "HistogramSeries", "Run", "Series", "Store"]
