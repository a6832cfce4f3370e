"""The performance benchmarks' harness: the code it measures runs in a fresh interpreter that must find both the
package and the workloads beside the benchmark scripts (``bench.py live`` once failed on that import)."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))

from measured import run_measured


def test_measured_code_imports_the_workloads_and_the_package_and_reports_its_result():
    result = run_measured("""
        from workloads import frame
        from tui.store import Store
        __result["framed"] = len(frame(b"x"))
    """)
    assert result["framed"] == 8 + 4 + 1 + 4  # length, its CRC, one payload byte, its CRC
    assert result["wall_seconds"] > 0 and result["peak_rss_mb"] > 0
