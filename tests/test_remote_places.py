"""How a file under a remote root is named to the user (``new run at …``, unreadable files, checkpoints): as a
path ssh, scp and rsync reach. Under the login folder (``box:``, ``ssh://box``) it read ``box:/runs/a``, a folder
at the root of the host's file system."""

from __future__ import annotations

import pytest

from tui.live.discovery import Discovery
from tui.sources.roots.parse import open_root, parse_root
from tui.store import Store


@pytest.mark.parametrize(
    ("given", "file", "root"),
    [
        ("box:", "box:runs/a", "box:"),
        ("me@box:", "me@box:runs/a", "me@box:"),
        ("box:.", "box:./runs/a", "box:."),
        ("box:runs", "box:runs/runs/a", "box:runs"),
        ("box:/srv/", "box:/srv/runs/a", "box:/srv/"),
        ("box:~", "box:~/runs/a", "box:~"),
        ("ssh://box", "ssh://box/~/runs/a", "ssh://box"),
        ("ssh://me@box:2222", "ssh://me@box:2222/~/runs/a", "ssh://me@box:2222"),
        ("ssh://box/", "ssh://box/runs/a", "ssh://box/"),
        ("ssh://box/~/x", "ssh://box/~/x/runs/a", "ssh://box/~/x"),
        ("ssh://box/srv", "ssh://box/srv/runs/a", "ssh://box/srv"),
        ("s3://bucket/prefix/", "s3://bucket/prefix/runs/a", "s3://bucket/prefix"),
    ],
)
def test_a_remote_file_is_named_as_ssh_and_scp_reach_it(given: str, file: str, root: str):
    discovery = Discovery(open_root(parse_root(given)), Store(), "")  # nothing is read: no server needed
    assert discovery.place("runs/a") == file
    assert discovery.place(".") == root
