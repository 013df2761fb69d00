#!/usr/bin/env python3
"""logcount under Dask: a frozen plan, one `logcount partial --plan` per slice on the workers,
`logcount merge` on the client.

    python3 logcount_dask.py [--logcount BIN] [--slices N] [--workers 2] PATH...
    python3 logcount_dask.py --plan run.plan [--slices N] ...

The client freezes the run first (`logcount plan PATH... -o run.plan`: every input's snapshot
size, format and jobs), unless it is given a plan; then each Dask task counts one slice of
exactly that snapshot and hands back its partial as text (`--text -o -`), so nothing but the
plan needs a shared filesystem between tasks and client... the logs themselves do: every worker
must see the same paths. The client pipes the partials into `logcount merge -` and prints its
report: exactly what `logcount PATH...` printed when the plan was made, however the logs grew.

By default the cluster is local: a scheduler on loopback and `--workers` worker processes (one
thread each). `--scheduler ADDRESS` uses a running one instead (dask-jobqueue, dask-ssh, ...).

For the tests: `--crash-once I --marker-dir DIR` makes the task of slice I kill its own worker
process (SIGKILL) the first time it runs; Dask restarts the worker and reschedules the task.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile


def count_slice(logcount, plan, index, count, crash_once, marker_dir):
    """One Dask task: slice INDEX/COUNT of the plan, as a text partial."""
    attempt = 0
    if marker_dir is not None:
        attempt = len([m for m in os.listdir(marker_dir) if m.startswith(f"{index}.")])
        with open(os.path.join(marker_dir, f"{index}.{attempt}"), "w"):
            pass
    print(f"slice {index}/{count}: attempt {attempt}", file=sys.stderr, flush=True)
    if crash_once == index and attempt == 0:
        os.kill(os.getpid(), signal.SIGKILL)  # the worker process dies mid-job
    run = subprocess.run(
        [logcount, "partial", "--plan", plan, "--slice", f"{index}/{count}",
         "--text", "-o", "-", "-q"],
        capture_output=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"slice {index}/{count}: {run.stderr.decode(errors='replace')}")
    return run.stdout.decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--logcount", default="logcount")
    parser.add_argument("--plan", help="a frozen plan to count (else the PATHs are planned)")
    parser.add_argument("--plan-arg", action="append", default=[],
                        help="an argument for `logcount plan` (repeatable), e.g. --plan-arg=--chunk-size")
    parser.add_argument("--slices", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", help="the address of a running Dask scheduler")
    parser.add_argument("--format", default="json", help="merge's --format")
    parser.add_argument("--crash-once", type=int)
    parser.add_argument("--marker-dir")
    args = parser.parse_args()
    if not args.plan and not args.paths:
        parser.error("give PATHs to plan, or --plan")

    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        plan = args.plan
        if plan is None:
            plan = os.path.join(tmp, "run.plan")
            subprocess.run([args.logcount, "plan", *args.paths, *args.plan_arg, "-o", plan, "-q"],
                           check=True)
        plan = os.path.abspath(plan)
        if args.scheduler:
            cluster, client = None, Client(args.scheduler)
        else:
            cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
        try:
            futures = client.map(count_slice, [args.logcount] * args.slices, [plan] * args.slices,
                                 range(args.slices), [args.slices] * args.slices,
                                 [args.crash_once] * args.slices, [args.marker_dir] * args.slices,
                                 pure=False)
            partials = client.gather(futures)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        merged = subprocess.run([args.logcount, "merge", "-", "--format", args.format],
                                input="".join(partials).encode(), check=False)
        sys.exit(merged.returncode)


if __name__ == "__main__":
    main()
