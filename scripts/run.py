"""Former launcher, kept as a thin shim: the entry point is ``python -m assistant.serve``
(`make run` runs ``python -m assistant.serve all``). Scripts and tests that import ``scripts.run``
get the same functions (start, stop, free_port, wait_ready, commands, child_env)."""

from __future__ import annotations

import sys

from assistant.serve import ROOT, child_env, commands, free_port, start, stop, wait_ready  # noqa: F401
from assistant.serve import run_all as main

if __name__ == "__main__":
    sys.exit(main())
