"""How the user runs this program from where they stand: the name to print in suggested commands.

Installed with pipx or in an activated venv, `freelance-assistant` is on PATH; run as
`.venv/bin/freelance-assistant` from a clone (as the README's demo does) or from a venv not
activated, it is not, and a printed `freelance-assistant ...` would fail with "command not
found". So the commands the program suggests name it the way that works.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path


def program() -> str:
    """`freelance-assistant` when PATH finds this very program, else its full path (quoted)."""
    beside = Path(sys.executable).parent / "freelance-assistant"
    if not beside.exists():
        return f"{shlex.quote(sys.executable)} -m assistant"
    found = shutil.which("freelance-assistant")
    if found and Path(found).resolve() == beside.resolve():
        return "freelance-assistant"
    return shlex.quote(str(beside))
