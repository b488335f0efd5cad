#!/usr/bin/python3
"""scale: how far one root goes. Measures, with the real tms-sweep binary:

1. dispatch + commit rate: the 131,072 one-step n=2 m=1 points of bench/dispatch.yaml at 1, 2, 4, 8 and 16 ranks
   (oversubscribed on a small machine), end to end (points / wall of the run, file creation included) and as the
   scheduler saw it (the final points_per_s of OUT.progress), plus the root's own CPU seconds per point (rank 0
   runs under /usr/bin/time in an MPMD launch): 1 / that is the rate one root sustains on a core of its own.
2. the root's peak memory (max RSS) and the time to create the file and build the queue for the 1.3M-point
   sweeps/e2_phase_full.yaml (run alone until the first progress report, then stopped with SIGUSR1: exit 75).
3. the measured cost of each full sweep's points: each sweep runs alone for a few seconds; seconds per model-step
   of the points done (longest first, so the largest shapes) times the sweep's mean model-steps per point.
4. the estimate: ranks one root keeps busy = root rate x mean cost of a point.

usage: /usr/bin/python3 bench/scale.py [--bin build] [--out bench/scale.json] [--quick]
Prints a table; writes the numbers as JSON. Not here: training speed (bench/bench.py), the store alone.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
FULL = ["e0_intro_full", "e1_basic_full", "e2_phase_full", "e3_uniform_full", "e4_perturb_full",
        "e5_correlated_full", "e5_local_full", "e6_dynamics_full", "e7_adversarial_full", "e8_neurons_full",
        "e9_abs_full"]


def progress(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            out[k] = float(v)
    return out


def timed_root(cmd_root, cmd_workers, np_, work):
    """Runs rank 0 under /usr/bin/time (MPMD); returns (wall, root cpu s, root max RSS MB, rc)."""
    tfile = os.path.join(work, "time.txt")
    timer = ["/usr/bin/time", "-f", "%U %S %M", "-o", tfile]
    if np_ == 1:
        cmd = timer + cmd_root
    else:
        cmd = ["mpirun", "--oversubscribe", "-np", "1"] + timer + cmd_root + [":", "-np", str(np_ - 1)] + cmd_workers
    t0 = time.time()
    rc = subprocess.run(cmd, env=ENV, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.time() - t0
    u, s, m = open(tfile).read().split()[-3:]
    return wall, float(u) + float(s), float(m) / 1024, rc


def dispatch_rates(tms, ranks, work):
    sweep = os.path.join(HERE, "dispatch.yaml")
    rows = []
    for np_ in ranks:
        out = os.path.join(work, f"d{np_}.h5")
        cmd = [tms, "run", sweep, "-o", out, "--quiet", "--force"]
        load0 = os.getloadavg()[0]
        wall, cpu, rss, rc = timed_root(cmd, cmd, np_, work)
        load1 = os.getloadavg()[0]
        p = progress(out + ".progress")
        with h5py.File(out, "r") as f:
            done = int((f["/points/status"][...] == 1).sum())
        rows.append(dict(ranks=np_, points=done, rc=rc, wall_s=wall, end_to_end_per_s=done / wall,
                         scheduler_per_s=p["points_per_s"], root_cpu_s=cpu, root_cpu_us_per_point=1e6 * cpu / done,
                         root_capacity_per_s=done / cpu if cpu > 0 else float("nan"), root_rss_mb=rss,
                         load_1min_start=load0, load_1min_end=load1))
        os.remove(out)
        print(f"  {np_:2d} ranks: {done} points in {wall:6.2f} s = {done / wall:8.0f}/s end to end, "
              f"{p['points_per_s']:8.0f}/s scheduler, root {1e6 * cpu / done:6.1f} us CPU/point "
              f"(-> {done / cpu:8.0f}/s on its own core), root RSS {rss:.0f} MB, load {load0:.1f} -> {load1:.1f}",
              flush=True)
    return rows


def run_briefly(tms, sweep, out, seconds, work):
    """Runs a sweep alone; stops it with SIGUSR1 `seconds` after its first progress report.
    Returns (time to the first report = file created + queue built, root max RSS MB, exit code)."""
    tfile = os.path.join(work, "time.txt")
    cmd = ["/usr/bin/time", "-f", "%U %S %M", "-o", tfile, tms, "run", sweep, "-o", out, "--force"]
    t0 = time.time()
    proc = subprocess.Popen(cmd, env=ENV, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = None
    for line in proc.stderr:  # the first progress line comes once the file exists and the queue is built
        if first is None and line.startswith("tms-sweep run: done"):
            first = time.time() - t0
            break
    time.sleep(seconds)
    for child in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split():
        os.kill(int(child), signal.SIGUSR1)
    proc.stderr.read()
    rc = proc.wait()
    rss = float(open(tfile).read().split()[-1]) / 1024
    return first, rss, rc


def plan(tms, sweep):
    out = subprocess.run([tms, "plan", sweep], capture_output=True, text=True, env=ENV).stdout
    steps = float(re.search(r"^model-steps:\s+(\S+)", out, re.M).group(1))
    train = int(re.search(r"^to train:\s+(\d+)", out, re.M).group(1))
    return steps, train


def costs(tms, names, seconds, work):
    rows = []
    for name in names:
        sweep = os.path.join(REPO, "sweeps", name + ".yaml")
        out = os.path.join(work, name + ".h5")
        first, rss, rc = run_briefly(tms, sweep, out, seconds, work)
        steps, train = plan(tms, sweep)
        with h5py.File(out, "r") as f:
            st = f["/points/status"][...].ravel()
            wall = f["/points/wall_s"][...].ravel()
            nstep = None
            for key in ("/params/steps",):
                if key in f:
                    nstep = f[key][...].ravel()
        done = st == 1
        if done.sum() == 0 or nstep is None:
            s_per_step = float("nan")
        else:
            s_per_step = float(wall[done].sum() / nstep[done].sum())
        mean_steps = steps / train
        row = dict(sweep=name, points=train, model_steps=steps, start_s=first, root_rss_mb=rss, rc=rc,
                   sampled=int(done.sum()), s_per_model_step=s_per_step, mean_point_s=s_per_step * mean_steps)
        rows.append(row)
        os.remove(out)
        print(f"  {name:22s} {train:9d} points, {mean_steps:8.0f} steps/point, sampled {int(done.sum()):5d}: "
              f"{1e6 * s_per_step:7.2f} us/step -> {s_per_step * mean_steps:8.4f} s/point; "
              f"start {first:5.1f} s, root RSS {rss:5.0f} MB", flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(REPO, "build"))
    ap.add_argument("--out", default=os.path.join(HERE, "scale.json"))
    ap.add_argument("--quick", action="store_true", help="ranks 1, 2, 4 only; 2 s per sweep")
    ap.add_argument("--parts", default="dispatch,e2,costs", help="which parts to run (comma-separated)")
    a = ap.parse_args()
    tms = os.path.abspath(os.path.join(a.bin, "tms-sweep"))
    ranks = [1, 2, 4] if a.quick else [1, 2, 4, 8, 16]
    res = dict(machine=os.uname().nodename, cores=os.cpu_count(), time=time.strftime("%FT%TZ", time.gmtime()))
    # Parts not run now keep their figures from the file (with the time they were measured), so one part can be
    # measured again alone.
    kept = {}
    if os.path.exists(a.out):
        with open(a.out) as f:
            kept = json.load(f)
    with tempfile.TemporaryDirectory() as work:
        parts = a.parts.split(",")
        if "dispatch" in parts:
            print("dispatch + commit, bench/dispatch.yaml (131072 one-step n=2 m=1 points):", flush=True)
            res["dispatch"] = dispatch_rates(tms, ranks, work)
        if "e2" in parts:
            e2_part(tms, work, res)
        if "costs" in parts:
            print("cost of each full sweep's points (each run alone briefly, longest points first):", flush=True)
            res["costs"] = costs(tms, FULL, 2 if a.quick else 6, work)
    for key, part in (("dispatch", "dispatch"), ("e2_full", "e2"), ("costs", "costs")):
        if key not in res and key in kept:
            res[key] = kept[key]
            res.setdefault("kept_from", {})[key] = kept.get("kept_from", {}).get(key, kept.get("time"))
    if "dispatch" in res and "costs" in res:
        estimate(res)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    print("wrote", a.out)


def e2_part(tms, work, res):
    print("E2 full: creation and root memory:", flush=True)
    e2 = os.path.join(work, "e2.h5")
    load0 = os.getloadavg()[0]
    first, rss, rc = run_briefly(tms, os.path.join(REPO, "sweeps", "e2_phase_full.yaml"), e2, 1, work)
    res["e2_full"] = dict(start_s=first, root_rss_mb=rss, rc=rc, file_mb=os.path.getsize(e2) / 1e6,
                          load_1min_start=load0, load_1min_end=os.getloadavg()[0])
    print(f"  file created and queue built in {first:.1f} s; root peak RSS {rss:.0f} MB; "
          f"file {os.path.getsize(e2) / 1e6:.0f} MB; exit {rc} (75: stopped by SIGUSR1)", flush=True)
    os.remove(e2)


def estimate(res):
    cap = float(np.median([r["root_capacity_per_s"] for r in res["dispatch"] if r["ranks"] > 1]))
    res["root_capacity_per_s"] = cap
    print(f"root capacity (median over runs with workers): {cap:.0f} points/s on one core", flush=True)
    print("ranks one root keeps busy = root capacity x mean cost of a point:")
    for r in res["costs"]:
        r["ranks_busy"] = cap * r["mean_point_s"]
        print(f"  {r['sweep']:22s} {r['ranks_busy']:10.0f}")


if __name__ == "__main__":
    sys.exit(main())
