"""The test servers' own rule: where CI has them, one that cannot start fails its tests instead of skipping them."""

from __future__ import annotations

import pytest
from servers import REQUIRE, unavailable


def test_a_server_that_cannot_start_skips_its_tests_here(monkeypatch) -> None:
    monkeypatch.delenv(REQUIRE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="sshd cannot run here"):
        unavailable("sshd cannot run here: no host keys")


def test_where_the_servers_are_required_it_fails_them(monkeypatch) -> None:
    monkeypatch.setenv(REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match=r"moto's S3 server did not start \(LOSSWATCH_REQUIRE_SERVERS=1\)"):
        unavailable("moto's S3 server did not start")
