#!/usr/bin/env bash
# Installs what examples/dask needs: Dask distributed in a virtual environment. Idempotent and
# quiet: a second run returns at once.
#
#   LOGCOUNT_DASK_VENV  where the virtual environment goes [~/.cache/logcount/dask-venv]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${LOGCOUNT_DASK_VENV:-${HOME:-/tmp}/.cache/logcount/dask-venv}

if "$venv/bin/python" -c 'import distributed' >/dev/null 2>&1; then
    exit 0
fi
echo "examples/dask: installing Dask distributed into $venv (about 20 s)" >&2
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" -c 'import distributed; print("examples/dask: distributed", distributed.__version__)' >&2
