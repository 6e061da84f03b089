"""Finding a Python interpreter that can import torch.

Debian's python3-torch installs into the system interpreter (/usr/bin/python3), while `python3`
on PATH may be another one (a pyenv 3.11 without torch). The scripts here that need torch call
reexec_with_torch() before importing it; compare.py, which needs only the standard library,
asks find_torch_python() which interpreter to start its PyTorch workers with.
"""

import os
import subprocess
import sys

CANDIDATES = ("/usr/bin/python3", "/usr/local/bin/python3")
_GUARD = "CONVBENCH_COMPARE_REEXEC"


def has_torch(python):
    """True when `python -c 'import torch'` succeeds."""
    try:
        r = subprocess.run([python, "-c", "import torch, numpy"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_torch_python(preferred=None):
    """The interpreter to run PyTorch with: preferred if given, else this one, else a system one; or None."""
    if preferred:
        return preferred if has_torch(preferred) else None
    for python in (sys.executable,) + CANDIDATES:
        if python and os.path.exists(python) and has_torch(python):
            return python
    return None


def reexec_with_torch():
    """If torch is not importable here, re-run this script under an interpreter that has it, or exit."""
    try:
        import torch  # noqa: F401
        import numpy  # noqa: F401
        return
    except ImportError:
        pass
    if not os.environ.get(_GUARD):
        for python in CANDIDATES:
            if os.path.exists(python) and os.path.realpath(python) != os.path.realpath(sys.executable) \
                    and has_torch(python):
                os.environ[_GUARD] = "1"
                os.execv(python, [python] + sys.argv)
    sys.exit("torch and numpy are not importable by %s and no system interpreter has them; "
             "install them with `apt-get install -y python3-torch` and run with /usr/bin/python3."
             % sys.executable)
