"""The ``losswatch`` command line and its headless commands."""
