#!/usr/bin/env bash
# Installs what examples/spark needs: PySpark in a virtual environment, and a Java runtime
# if none is on PATH. Idempotent and quiet: a second run returns at once.
#
#   LOGCOUNT_SPARK_VENV  where the virtual environment goes [~/.cache/logcount/spark-venv]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${LOGCOUNT_SPARK_VENV:-${HOME:-/tmp}/.cache/logcount/spark-venv}

if ! command -v java >/dev/null 2>&1; then
    echo "examples/spark: no java on PATH; installing openjdk-17-jre-headless" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "examples/spark: not root: install a Java 17+ runtime yourself" >&2
        exit 1
    fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi

if "$venv/bin/python" -c 'import pyspark' >/dev/null 2>&1; then
    exit 0
fi
echo "examples/spark: installing PySpark into $venv (a few hundred MB, about a minute)" >&2
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
"$venv/bin/python" -c 'import pyspark; print("examples/spark: pyspark", pyspark.__version__)' >&2
