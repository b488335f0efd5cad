#!/usr/bin/python3
"""Side-by-side speed of the C trainer and the PyTorch reference, both held to one core.

For each shape (n, m) and density, runs `tms-sweep train` (one model) and `tms_torch.py` (K instances batched,
its own default way of working) alternately, several rounds, on the same core (taskset), and reports
model-steps per second of each (median over rounds) and their ratio. Writes a markdown table.

  bench/bench.py [--tms build/tms-sweep] [--torch ../shared/reference/tms_torch.py] [--rounds 5]
                 [--core 0] [--instances 10] [--out bench/results.md] [--quick]

C timing is the wall time of the whole process (start-up, the evaluation batch, everything), so it is
conservative; the reference reports the wall time of its training loop only (import time excluded).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

SHAPES = [(2, 1), (5, 2), (20, 5), (200, 20), (400, 30)]
DENSITIES = [1.0, 0.01]
# model-steps per run of each side, chosen so one run lasts roughly a second or more
C_STEPS = {(2, 1): 40000, (5, 2): 40000, (20, 5): 20000, (200, 20): 2000, (400, 30): 1000}


def run_c(args, n, m, p, steps):
    cmd = ["taskset", "-c", str(args.core), args.tms, "train", "--n-features", str(n), "--n-hidden", str(m),
           "--density", str(p), "--steps", str(steps), "--log-every", str(steps), "--seed", "1", "--quiet"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    return steps / (time.perf_counter() - t0)


def run_torch(args, n, m, p, steps):
    cmd = ["taskset", "-c", str(args.core), "/usr/bin/python3", args.torch, "--n", str(n), "--m", str(m),
           "--instances", str(args.instances), "--steps", str(steps), "--density", str(p), "--threads", "1"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                         env=dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")).stdout
    return float(re.search(r"model_steps_per_s=([0-9.]+)", out).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--tms", default=os.path.join(here, "..", "build", "tms-sweep"))
    ap.add_argument("--torch", default=os.path.join(here, "..", "..", "shared", "reference", "tms_torch.py"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--core", type=int, default=0)
    ap.add_argument("--instances", type=int, default=10, help="K models the reference trains batched")
    ap.add_argument("--out", default=os.path.join(here, "results.md"))
    ap.add_argument("--quick", action="store_true", help="one round, a tenth of the steps (smoke run)")
    args = ap.parse_args()
    rounds = 1 if args.quick else args.rounds
    scale = 10 if args.quick else 1

    rows = []
    for (n, m) in SHAPES:
        for p in DENSITIES:
            c_steps = max(100, C_STEPS[(n, m)] // scale)
            t_steps = max(10, c_steps // args.instances)
            c_rates, t_rates, ratios = [], [], []
            for _ in range(rounds):  # alternate, so load on the shared machine hits both sides alike
                c = run_c(args, n, m, p, c_steps)
                t = run_torch(args, n, m, p, t_steps)
                c_rates.append(c)
                t_rates.append(t)
                ratios.append(c / t)
            row = (n, m, p, statistics.median(c_rates), statistics.median(t_rates), statistics.median(ratios),
                   min(ratios), max(ratios))
            rows.append(row)
            print("n=%d m=%d p=%g  tms %.0f  torch %.0f  model-steps/s  ratio %.1f (%.1f..%.1f)" % row, flush=True)

    with open(args.out, "w") as f:
        f.write("| n | m | density | tms model-steps/s | reference model-steps/s | ratio (median) | ratio range |\n")
        f.write("|---|---|---|---|---|---|---|\n")
        for r in rows:
            f.write("| %d | %d | %g | %.0f | %.0f | %.1f | %.1f - %.1f |\n" % r)
        f.write("\n%d rounds, one core (taskset -c %d), batch 1024, relu_out, reference with %d instances "
                "batched, %s\n" % (rounds, args.core, args.instances, time.strftime("%Y-%m-%d %H:%M UTC",
                                                                                    time.gmtime())))
    print("wrote", args.out)


if __name__ == "__main__":
    sys.exit(main())
