"""The optional compiled modules: one built from another version of its source (an in-place build not redone
after its calling conventions changed) is not used; the Python reference runs instead of every read or judgement
failing on a wrong signature."""

from __future__ import annotations

import pytest

from tui import compiled as compiled_module


@pytest.mark.parametrize(("load", "version"), [("compiled", "READER_VERSION"), ("compiled_kernels", "KERNEL_VERSION")])
def test_a_module_built_from_another_version_of_its_source_is_not_used(load: str, version: str, monkeypatch):
    built = getattr(compiled_module, load)()
    if built is None:
        pytest.skip("built without a C compiler")
    monkeypatch.setattr(built, "KERNEL_VERSION", getattr(compiled_module, version) - 1)
    assert getattr(compiled_module, load)() is None
    monkeypatch.delattr(built, "KERNEL_VERSION")
    assert getattr(compiled_module, load)() is None
