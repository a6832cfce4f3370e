"""``host:~user/path`` over ssh, as scp and rsync read it: that user's home folder, expanded on the host."""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from pathlib import Path

from conftest import scalar_run
from servers import Sshd

from tui.cli.main import main
from tui.sources.roots.ssh_scripts import remote_path


def test_a_user_home_is_expanded_and_the_rest_quoted_and_a_name_sh_would_run_is_not():
    assert remote_path("~alice") == "~alice"
    assert remote_path("~alice/runs x") == "~alice/'runs x'"
    assert remote_path("~alice/$(touch /tmp/x)") == "~alice/'$(touch /tmp/x)'"
    assert remote_path("~a;b/runs") == "'~a;b/runs'"  # no user name: taken as written, quoted


def test_check_reads_a_folder_given_under_the_users_home(sshd: Sshd, capsys) -> None:
    """``lwtest:~user/runs`` said 'no such folder': the ``~user`` was quoted, so sh never expanded it."""
    user = getpass.getuser()
    home = Path(subprocess.run(["sh", "-c", "echo ~"], capture_output=True, text=True).stdout.strip())
    folder = home / f"lw-user-home-{os.getpid()}"
    try:
        scalar_run(folder / "run", {"loss": [3.0, 2.0, 1.0]})
        for given in (f"lwtest:~{user}/{folder.name}", f"ssh://lwtest/~{user}/{folder.name}"):
            assert main(["check", "--json", given]) == 0, capsys.readouterr()
            assert '"run": "run"' in capsys.readouterr().out
    finally:
        shutil.rmtree(folder, ignore_errors=True)
