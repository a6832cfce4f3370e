"""Only the optional compiled reader lives here; everything else is in pyproject.toml.

``optional=True``: where no C compiler is available the package installs anyway and
reads with the plain Python reference (tui/sources/tensorboard/reference.py), several
times slower on big log directories.
``-ffp-contract=off``: no fused multiply-add, so the verdict kernels round exactly as
their NumPy references do (tests/test_cusum.py and tests/test_smoothing.py check bit equality).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # the event-file reader's loops (reference: tui/sources/tensorboard/reference.py)
        Extension("tui._scan", ["tui/_scan.c"], optional=True, extra_compile_args=["-O2", "-ffp-contract=off"]),
        # the verdict engine's recurrences: smoothing and the CUSUM (references in tui/judging)
        Extension("tui._kernels", ["tui/_kernels.c"], optional=True, extra_compile_args=["-O2", "-ffp-contract=off"]),
        # trainer_state.json's log history (reference: the general JSON path, tui/sources/jsontext.py)
        Extension("tui._logjson", ["tui/_logjson.c"], optional=True, extra_compile_args=["-O2", "-ffp-contract=off"]),
    ]
)
