#!/usr/bin/env bash
# deploy/run.sh N [PORT] [options]: N Streamlit processes behind nginx, in the foreground; Ctrl-C stops all.
# The same as `python -m deploy N [PORT]` (see deploy/README.md); Python: $PYTHON, else the repository's .venv, else python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python="${PYTHON:-}"
if [ -z "$python" ]; then if [ -x .venv/bin/python ]; then python=.venv/bin/python; else python=python3; fi; fi
exec "$python" -m deploy "$@"
