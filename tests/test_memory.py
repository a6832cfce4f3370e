"""Giving freed heap back after a big read: glibc's malloc_trim is found without searching the disk."""

from __future__ import annotations

import platform

import pytest

from tui.live import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_malloc_trim_is_found_in_the_loaded_c_library_and_called_after_a_big_read(monkeypatch):
    assert memory._malloc_trim() is not None
    calls = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: calls.append)
    memory.release_free_memory(1024)
    assert calls == []  # a small read leaves nothing worth trimming
    memory.release_free_memory(64 * 1024 * 1024)
    assert calls == [0]
