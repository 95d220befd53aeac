"""The ``customs`` console script answers a Ctrl-C that lands while the command line is still
being imported as it answers one that lands later: one ``customs:`` line and status 130, no
Python traceback."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: a fresh interpreter whose import of the command line is interrupted, as a Ctrl-C in the
#: moment the modules load would interrupt it
INTERRUPTED_IMPORT = """
import sys
class Interrupting:
    def find_spec(self, name, path=None, target=None):
        if name == "customs_engine.cli":
            raise KeyboardInterrupt
        return None
sys.meta_path.insert(0, Interrupting())
from customs_engine.launch import main
main()
"""


def test_the_console_script_is_the_launcher() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["customs"] == "customs_engine.launch:main"


def test_a_ctrl_c_during_start_up_is_one_line_and_status_130() -> None:
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_IMPORT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 130
    assert done.stderr == "customs: interrupted\n"
    assert "Traceback" not in done.stderr


def test_the_launcher_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from customs_engine.launch import main; main()", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "0.1.0" in done.stdout
