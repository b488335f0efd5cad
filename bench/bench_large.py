#!/usr/bin/python3
"""Large shapes (200/20, 400/30) against the PyTorch reference over whole training runs, and the dense step's share
of the sgemm rate (issue 7 item 2, large shapes).

Why a second script: the large-shape path chooses sparse formulations from the nonzeros of x and of the output
gradient, and the output gradient gets sparser during training (at 400/30, density 0.01: ~50% nonzero at step 1,
5% by step 500, 2% by step 2000), so a short run from initialisation would time the wrong mix. Here tms trains
the FULL run (--steps, default 10000: every step from initialisation to the end is timed), CPU time of the process
minus that of a 1-step run, exactly as bench.py does. The reference's cost per step does not depend on the step
(it runs every product dense whatever the data), so it is timed on a short run of the same configuration, K=10,
as in bench.py (the run and run_torch helpers are bench.py's). Both sides do the same work per step: one AdamW step
of relu_out on a fresh batch of 1024.
At density 1 it also runs tms-sgemm-rate (bench/sgemm_rate.c) in the same round on the same core: the five
products of the step as bare sgemm calls; "share" = tms's step rate in GFLOP/s (10 B N M flops per step) over the
sgemm rate of those products (issue 7's measure); and the same five products as the kernels run them on that ISA
path (tms_skinny_gemm for four of them on the vector paths, kernels_large.h), with the step's share of that rate.
Rounds: tms, torch and (density 1) the sgemm tool back to back on one configuration, ratios within a round, medians
over rounds and per-round min-max.

  bench/bench_large.py [--tms build/tms-sweep] [--sgemm-rate build/tms-sgemm-rate] [--rounds 5] [--steps 10000]
                       [--core 0] [--shapes 200x20,400x30] [--densities 1,0.05,0.01] [--isa auto,avx2]
Instruction-set paths (--isa): one table per path, with bench.py's environments (avx2: TMS_ISA=avx2,
OPENBLAS_CORETYPE=Haswell, ATEN_CPU_CAPABILITY=avx2, on tms, torch and the sgemm tool alike); each table names the
kernels path and OpenBLAS core tms-sweep reports.
Prints markdown tables (for bench/README.md, section "Large shapes"). Not a test.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (bench.py's run, run_c, run_torch, environment)

TORCH_STEPS = {(200, 20): 10, (400, 30): 8}  # K=10 reference steps per run (~1 s each)
DENSE_STEPS = {(200, 20): 1500, (400, 30): 600}  # tms steps at density 1 (no sparsity to wait for)


def sgemm_rate(args, n, m, isa):
    out, _, _ = bench.run(["taskset", "-c", str(args.core), args.sgemm_rate, str(n), str(m), "1024", "100"],
                          bench.ISA_ENV[isa])
    rate = float(re.search(r"rate_step_median ([0-9.]+)", out).group(1))
    used = float(re.search(r"rate_step_used_median ([0-9.]+)", out).group(1))
    core = re.search(r"openblas_core (\S+)", out).group(1)
    return rate, used, core


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tms", default=os.path.join(here, "..", "build", "tms-sweep"))
    ap.add_argument("--sgemm-rate", default=os.path.join(here, "..", "build", "tms-sgemm-rate"))
    ap.add_argument("--torch", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference", "tms_torch.py"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10000, help="tms run length at density < 1 (whole run timed)")
    ap.add_argument("--core", type=int, default=0)
    ap.add_argument("--shapes", default="200x20,400x30")
    ap.add_argument("--densities", default="1,0.05,0.01")
    ap.add_argument("--isa", default="auto,avx2", help="instruction-set paths, one table each (auto, avx2, generic)")
    args = ap.parse_args()
    for isa in args.isa.split(","):
        one_path(args, isa)


def one_path(args, isa):
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",")]
    densities = [float(d) for d in args.densities.split(",")]
    env = bench.environment(args)
    load0 = os.getloadavg()[0]
    report = bench.isa_report(args, isa)
    if report is None:
        print("\n### ISA path `%s`: not run (this CPU lacks it or tms rejected TMS_ISA)" % isa)
        return
    rows = []
    for (n, m) in shapes:
        for p in densities:
            steps = DENSE_STEPS[(n, m)] if p >= 1 else args.steps
            r = {"c": [], "t": [], "ratio": [], "rate": [], "share": [], "used": [], "ushare": [], "core": "?"}
            for _ in range(args.rounds):
                _, c1 = bench.run_c(args, n, m, p, 1, isa)
                _, c = bench.run_c(args, n, m, p, steps, isa)
                c_rate = (steps - 1) / (c - c1)
                _, t_rate = bench.run_torch(args, n, m, p, 10, TORCH_STEPS[(n, m)], isa)
                r["c"].append(c_rate)
                r["t"].append(t_rate)
                r["ratio"].append(c_rate / t_rate)
                if p >= 1:
                    rate, used, r["core"] = sgemm_rate(args, n, m, isa)
                    r["rate"].append(rate)
                    r["share"].append(c_rate * 10 * 1024 * n * m * 1e-9 / rate)
                    r["used"].append(used)
                    r["ushare"].append(c_rate * 10 * 1024 * n * m * 1e-9 / used)
            rows.append((n, m, p, steps, r))
            print("%s n=%d m=%d p=%g steps=%d: tms %.0f torch %.0f ratio %.1f%s" % (
                isa, n, m, p, steps, statistics.median(r["c"]), statistics.median(r["t"]), statistics.median(r["ratio"]),
                " sgemm %.1f GFLOP/s share %.0f%%" % (statistics.median(r["rate"]), 100 * statistics.median(
                    r["share"])) if r["rate"] else ""), flush=True)
    med = statistics.median
    print("\n#### ISA path `%s`: tms kernels %s, OpenBLAS core %s" % (isa, report[0], report[1]))
    print("\nMeasured %s on %s, %d rounds, core %d, one thread each; environment: `%s`; "
          "OpenBLAS `%s`; tms git %s; load average (1 min) %.1f / %.1f." % (
              time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), env["cpu"], args.rounds, args.core,
              " ".join("%s=%s" % kv for kv in bench.ISA_ENV[isa].items()) or "(nothing forced)", env["blas"],
              env["git"], load0, os.getloadavg()[0]))
    print("\n| n | m | density | tms steps timed | tms model-steps/s (CPU) | torch K=10 | ratio (range) | "
          "step GFLOP/s | sgemm rate of its products | share | rate of the products as tms runs them | share |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (n, m, p, steps, r) in rows:
        gf = med(r["c"]) * 10 * 1024 * n * m * 1e-9
        extra = ("%.1f | %.1f (%s) | %.0f%% (%.0f-%.0f) | %.1f | %.0f%% (%.0f-%.0f)" % (
            gf, med(r["rate"]), r["core"], 100 * med(r["share"]), 100 * min(r["share"]), 100 * max(r["share"]),
            med(r["used"]), 100 * med(r["ushare"]), 100 * min(r["ushare"]), 100 * max(r["ushare"]))
                 if r["rate"] else "%.1f | | | | " % gf)
        print("| %d | %d | %g | 0-%d | %.0f | %.0f | **%.1f** (%.1f-%.1f) | %s |" % (
            n, m, p, steps, med(r["c"]), med(r["t"]), med(r["ratio"]), min(r["ratio"]), max(r["ratio"]), extra))


if __name__ == "__main__":
    sys.exit(main())
