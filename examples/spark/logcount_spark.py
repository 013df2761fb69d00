#!/usr/bin/env python3
"""Count logs with logcount under Apache Spark: a frozen plan on the driver, one
`logcount partial --plan` per slice on the executors, one `logcount merge` on the driver. The
answer is exactly what a direct `logcount PATH...` printed when the plan was made, whatever the
number of slices, whichever executor ran them, and however the logs grew meanwhile.

    python logcount_spark.py --logcount /path/to/logcount --slices 8 /shared/logs

The driver freezes the run (`logcount plan`: every input's snapshot size, format and jobs) and
ships the plan to the executors with Spark's own file distribution (`SparkContext.addFile`).

Every executor must see the logs at the same paths (a shared filesystem) and have the
logcount binary at the given path. Partials travel back to the driver as text (`--text`
base64 lines), so nothing but Spark's own channel is needed; `merge` checks that every slice
arrived exactly once. A task whose executor dies is retried by Spark on another executor:
its partial is simply computed again.

`--crash-once SLICE --marker-dir DIR` is fault injection for the tests: the first attempt
of that slice starts its `logcount partial`, then kills its own executor JVM (SIGKILL), as a
machine or container dying mid-task would; the marker file makes later attempts run normally.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("paths", nargs="+", help="log files or directories (absolute paths)")
    p.add_argument("--logcount", required=True, help="path of the logcount binary")
    p.add_argument("--slices", type=int, default=4, help="number of slices (Spark tasks)")
    p.add_argument(
        "--master",
        default="local-cluster[2,1,1024]",
        help="Spark master (default: two executor JVMs on this machine)",
    )
    p.add_argument("--format", default="json", help="merge's --format")
    p.add_argument(
        "--plan-arg",
        action="append",
        default=[],
        help="extra argument for `logcount plan` (repeat: --plan-arg=--chunk-size --plan-arg=1M)",
    )
    p.add_argument(
        "--partial-arg",
        action="append",
        default=[],
        help="extra argument for every `logcount partial` (repeat: --partial-arg=-e --partial-arg=serial)",
    )
    p.add_argument("--crash-once", type=int, help="slice whose first attempt kills its executor")
    p.add_argument("--marker-dir", help="where --crash-once remembers that it crashed")
    return p.parse_args()


def ancestor(name):
    """The pid of the nearest ancestor process whose command line contains `name`."""
    pid = os.getppid()
    while pid > 1:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if name.encode() in f.read():
                return pid
        with open(f"/proc/{pid}/stat") as f:
            # The command may hold spaces and parentheses: the ppid follows the last ')'.
            pid = int(f.read().rsplit(")", 1)[1].split()[1])
    return None


def make_task(args):
    """The function every Spark task runs: one slice, its partial as text."""
    logcount, n, extra = args.logcount, args.slices, args.partial_arg
    crash_slice, marker_dir = args.crash_once, args.marker_dir

    def run_slice(index):
        from pyspark import SparkFiles, TaskContext

        attempt = TaskContext.get().attemptNumber()
        plan = SparkFiles.get("run.plan")
        cmd = [logcount, "partial", "--plan", plan, "--slice", f"{index}/{n}", "--text", "-o", "-", "-q"]
        cmd += extra
        marker = os.path.join(marker_dir or "", f"crashed-{index}")
        if index == crash_slice and not os.path.exists(marker):
            open(marker, "w").close()
            child = subprocess.Popen(cmd, stdout=subprocess.PIPE)
            time.sleep(0.2)  # let logcount get going: the executor dies mid-task
            jvm = ancestor("CoarseGrainedExecutorBackend")
            if jvm is None:
                raise RuntimeError("no executor JVM above this Python worker")
            os.kill(jvm, signal.SIGKILL)
            child.kill()
            child.wait()
            os._exit(1)
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if done.returncode != 0:
            # Failing the task makes Spark retry it (and fail the job if it keeps failing).
            raise RuntimeError(f"slice {index}/{n}: {done.stderr.decode(errors='replace')}")
        return index, attempt, os.getpid(), done.stdout.decode("ascii")

    return run_slice


def main():
    args = parse_args()
    if args.crash_once is not None and not args.marker_dir:
        sys.exit("--crash-once needs --marker-dir")
    # Executors run this same Python; everything stays on the loopback interface.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master(args.master)
        .appName("logcount")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.executor.memory", "512m")
        .config("spark.task.maxFailures", "4")
        .getOrCreate()
    )
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    plan_dir = tempfile.mkdtemp(prefix="logcount-spark-")
    plan = os.path.join(plan_dir, "run.plan")
    subprocess.run(
        [args.logcount, "plan", *args.paths, *args.plan_arg, "-o", plan, "-q"], check=True
    )
    sc.addFile(plan)
    try:
        slices = (
            sc.parallelize(range(args.slices), args.slices)
            .map(make_task(args))
            .collect()
        )
    finally:
        spark.stop()
        shutil.rmtree(plan_dir, ignore_errors=True)

    for index, attempt, pid, text in sorted(slices):
        print(
            f"logcount_spark: slice {index}/{args.slices}: attempt {attempt}, worker pid {pid}, "
            f"{len(text)} bytes of partial",
            file=sys.stderr,
        )
    merged = subprocess.run(
        [args.logcount, "merge", "-", "--format", args.format],
        input="".join(text for _, _, _, text in slices).encode("ascii"),
    )
    sys.exit(merged.returncode)


if __name__ == "__main__":
    main()
