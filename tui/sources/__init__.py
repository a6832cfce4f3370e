"""Reading sources: find runs under a log directory and read their new points, format by format.

Nothing here knows of verdicts or of the store.
"""
