#!/usr/bin/python3
"""dynamics: E6 learning dynamics, every feature's D_i and the loss over training, on one step axis.

With /results/W_history (a sweep with snapshot_every > 0) and --post POST.h5 (tms-post's products): one column per
drawn model (--replicate: best, an index, a comma list, or 'all', at most --max-seeds), one pair of rows per
combination of the other grid dimensions (e.g. the zip group `setup`). Top: D_i of every feature at each snapshot,
read from /dynamics/dimensionality_history (computed by tms-post from the stored W, SCIENCE.md section 4.5: the
series its jump detector reads), with the named fractions (3/4, 2/3, 1/2, 2/5, 3/8) as lines. Bottom: the model's
loss curve, its y range zoomed on the last 95% of training (--full-y: all of it). Both panels mark tms-post's
last large D_i jump (/dynamics/jump_step, dashed) and largest late loss drop (/dynamics/drop_step, dotted); the
title gives their gap, the E6 alignment that `tms-post check` judges.
Snapshot k is at step min(k*snapshot_every, steps-1) and loss entry k at min(k*log_every, steps-1): the same
rule, so jumps of D_i line up with drops of the loss. Snapshot k holds W before the update of its step (the W
whose loss the curve records there), except the last, which is the final W (one update later), so the last D_i
equal /metrics/dimensionality.

Without /results/W_history (older files, or snapshot_every 0): the loss curves of every done replicate (left) and
the final D_i of each replicate (right), with a note that D_i over training needs snapshot_every.
With /results/eval_curve (a sweep with eval_every > 0): the loss panel draws that curve solid (the loss on ONE
fixed batch of eval_batch samples, e.g. 65,536, every eval_every steps: smooth, SCIENCE.md E6) over the faint raw
training-batch curve, on the same step axis (entry k at min(k*eval_every, steps-1), before that step's update).
Without it the curves are training-batch losses per (batch, feature), noisier than the full-batch evaluation loss
SCIENCE.md suggests; a moving average of the log loss is drawn over the raw curve.
"""
import argparse

import numpy as np

import tmsio
from dstar import NAMED


def curve_steps(n_entries, every, steps):
    """Step of entry k of a loss curve or W history: min(k*every, steps-1)."""
    return np.minimum(np.arange(n_entries) * int(every), int(steps) - 1)


def draw_loss(ax, x, c, color, smooth, label=None, alpha=0.8):
    """Raw curve (faint) and a moving average of the log loss; returns the (x, y) of the line drawn on top."""
    ok = np.isfinite(c)
    xs, cs = x[ok], c[ok]
    win = smooth if smooth >= 0 else max(1, len(cs) // 100)
    if win > 1 and len(cs) > win:
        # the curve is the noisy training-batch loss: average log-loss over a window to show the drops
        ax.plot(xs, cs, lw=0.4, color=color, alpha=0.2)
        sm = np.exp(np.convolve(np.log(np.maximum(cs, 1e-30)), np.ones(win) / win, mode="valid"))
        xm = xs[win // 2:win // 2 + len(sm)]
        ax.plot(xm, sm, lw=1.0, color=color, label=label)
        return xm, sm
    ax.plot(xs, cs, lw=0.7, color=color, alpha=alpha, label=label)
    return xs, cs


def zoom_late(ax, x, y, steps, log):
    """Y range of the loss after the first 5% of training: the late jumps are small next to the first descent."""
    late = y[x >= 0.05 * steps]
    late = late[np.isfinite(late) & (late > 0 if log else True)]
    if len(late) < 2:
        return
    lo, hi = late.min(), late.max()
    if log:
        ax.set_ylim(lo / 1.15, hi * 1.15)
    else:
        pad = 0.1 * (hi - lo) if hi > lo else abs(hi) * 0.1 + 1e-12
        ax.set_ylim(lo - pad, hi + pad)


def pick_models(res, combo, how, max_seeds):
    """Grid index tuples of the done replicates to draw for one combination of the other dims."""
    R = res.shape[-1]
    done = res.done()
    idx_of = lambda r: tuple(combo[d] if d != "replicate" else r for d in res.dims)
    if how == "best":
        best = tmsio.pick_replicate(res, combo, "best")
        return [] if best is None else [best]
    if how == "all":
        reps = range(R)
    else:
        try:
            reps = [int(x) for x in how.split(",")]
        except ValueError:
            raise tmsio.TmsDataError(f"--replicate {how}: expected best, all, an index or a comma list") from None
        for r in reps:
            if not 0 <= r < R:
                raise tmsio.TmsDataError(f"--replicate {how}: {r} is out of range 0..{R - 1}")
    return [idx_of(r) for r in reps if done[idx_of(r)]][:max_seeds]


def with_history(res, post, args, plt, rows):
    curves = res.get("loss_curve")
    Dh, jumps, drops = post.need("dimensionality_history"), post.need("jump_step"), post.need("drop_step")
    if Dh.shape[:len(res.shape)] != res.shape:
        raise tmsio.TmsDataError(f"{post.path}: /dynamics/dimensionality_history has shape {Dh.shape}, "
                                 f"the results grid is {res.shape}")
    chosen = [pick_models(res, combo, args.replicate, args.max_seeds) for combo in rows]
    cols = max(1, max(len(c) for c in chosen))
    fig, axes = plt.subplots(2 * len(rows), cols, figsize=(5.2 * cols + 1.2, 5.6 * len(rows) + 0.4),
                             squeeze=False, sharex="col", layout="constrained",
                             gridspec_kw={"height_ratios": [3, 2] * len(rows)})
    for r, (combo, models) in enumerate(zip(rows, chosen)):
        for c in range(cols):
            aD, aL = axes[2 * r, c], axes[2 * r + 1, c]
            if c >= len(models):
                aD.set_axis_off()
                aL.set_axis_off()
                continue
            p = models[c]
            n, m = res.nm(p)
            steps = int(res.p("steps", p))
            every = int(res.p("snapshot_every", p))
            D = np.asarray(Dh[p], dtype=np.float64)[:, :n]               # (S, n) from tms-post
            ok = np.isfinite(D).all(axis=1)
            xs = np.minimum(np.arange(len(D)) * max(every, 1), steps - 1)[ok]
            D = D[ok]
            if every < 1 or len(xs) == 0:
                aD.text(0.5, 0.5, "no W history for this point (snapshot_every 0)", ha="center", va="center",
                        transform=aD.transAxes, fontsize=8)
            else:
                colors = plt.get_cmap("viridis")(np.linspace(0, 1, n))
                for i in range(n):
                    aD.plot(xs, D[:, i], lw=0.8, color=colors[i], alpha=0.75, drawstyle="steps-post")
            jump, drop = float(jumps[p]), float(drops[p])
            for ax in (aD, aL):  # tms-post's last large D_i jump (dashed) and largest late loss drop (dotted)
                if np.isfinite(jump):
                    ax.axvline(jump, color="k", lw=0.8, ls="--", alpha=0.7, label="last D_i jump" if ax is aL else None)
                if np.isfinite(drop):
                    ax.axvline(drop, color="C3", lw=0.8, ls=":", alpha=0.9,
                               label="largest late loss drop" if ax is aL else None)
            for f, name in NAMED.items():
                aD.axhline(f, color="C3", lw=0.5, alpha=0.5, zorder=0)
                if c == cols - 1:
                    aD.text(1.01, f, name, transform=aD.get_yaxis_transform(), fontsize=6, va="center", color="C3")
            aD.set_ylim(-0.03, 1.05)
            rep = p[-1]
            gap = abs(drop - jump) if np.isfinite(jump) and np.isfinite(drop) else float("nan")
            aD.set_title(f"replicate {rep}: D_i of all {n} features (colour: feature index)\n"
                         f"last jump {jump:.0f}, largest late drop {drop:.0f}, gap {gap:.0f} steps", fontsize=8)
            if c == 0:
                aD.set_ylabel("D_i" + (f"\n{tmsio.cell_label(res, combo)}" if combo else ""), fontsize=8)
                aL.set_ylabel("loss", fontsize=8)
            cv = np.asarray(curves[p], dtype=np.float64)
            xe, ye = res.eval_curve(p)
            if len(xe):  # the smooth fixed-batch loss (solid) over the raw training-batch loss (faint)
                xl, yl = draw_loss(aL, curve_steps(len(cv), res.p("log_every", p), steps), cv, "C0", 0,
                                   label="training batch", alpha=0.25)
                aL.plot(xe, ye, lw=1.2, color="C1", label=f"fixed eval batch ({int(res.p('eval_batch', p))})")
                xl, yl = xe, ye
            else:
                xl, yl = draw_loss(aL, curve_steps(len(cv), res.p("log_every", p), steps), cv, "C0", args.smooth)
            if len(xe) or np.isfinite(jump) or np.isfinite(drop):
                aL.legend(fontsize=6, loc="upper right")
            if not args.linear_y:
                aL.set_yscale("log")
            if not args.full_y:
                zoom_late(aL, xl, yl, steps, not args.linear_y)
            if args.log_x:
                aL.set_xscale("symlog", linthresh=max(1, every or int(res.p("log_every", p))))
            aL.set_xlabel("step")
    return fig


def without_history(res, args, plt, rows):
    curves, dims = res.get("loss_curve"), res.get("dimensionality")
    done = res.done()
    R = res.shape[-1]
    fig, axes = plt.subplots(len(rows), 2, figsize=(13, 3.6 * len(rows) + 0.4), squeeze=False,
                             gridspec_kw={"width_ratios": [2, 1]}, layout="constrained")
    for r, combo in enumerate(rows):
        a0, a1 = axes[r]
        drawn = 0
        for q in range(R):
            p = tuple(combo[d] if d != "replicate" else q for d in res.dims)
            if not done[p] or drawn >= args.max_seeds:
                continue
            drawn += 1
            c = np.asarray(curves[p], dtype=np.float64)
            xe, ye = res.eval_curve(p)
            draw_loss(a0, curve_steps(len(c), res.p("log_every", p), res.p("steps", p)), c, f"C{q % 10}",
                      0 if len(xe) else args.smooth, alpha=0.25 if len(xe) else 0.8)
            if len(xe):  # the fixed-batch evaluation loss, solid
                a0.plot(xe, ye, lw=1.0, color=f"C{q % 10}")
            n, m = res.nm(p)
            d = dims[p][:n]
            a1.scatter(np.full(n, q) + np.random.default_rng(q).uniform(-0.25, 0.25, n), d, s=3, color=f"C{q % 10}")
        if not args.linear_y:
            a0.set_yscale("log")
        if args.log_x:
            a0.set_xscale("symlog")
        a0.set_xlabel("step")
        a0.set_ylabel("training loss" + (f"\n{tmsio.cell_label(res, combo)}" if combo else ""), fontsize=8)
        a0.set_title(f"{drawn} seeds (faint: raw training-batch loss; line: moving average of log loss)",
                     fontsize=8)
        for f in NAMED:
            a1.axhline(f, color="C3", lw=0.5, alpha=0.5)
        a1.set_xlabel("replicate")
        a1.set_ylabel("final D_i")
        a1.set_ylim(-0.03, 1.05)
        a1.set_title("final D_i only: no /results/W_history (set snapshot_every in the sweep)", fontsize=8)
    return fig


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tmsio.add_common_args(ap, replicate=False)
    ap.add_argument("--replicate", default="best",
                    help="with a W history: which models to draw per row: best (lowest final loss, default), "
                         "an index, a comma list, or all")
    ap.add_argument("--max-seeds", type=int, default=32, help="draw at most this many replicates per row")
    ap.add_argument("--linear-y", action="store_true", help="linear loss axis instead of log")
    ap.add_argument("--full-y", action="store_true",
                    help="with a W history: loss axis over the whole curve (default: zoom on the last 95%% of "
                         "training, where the jumps are)")
    ap.add_argument("--log-x", action="store_true", help="log step axis (early training in more detail)")
    ap.add_argument("--smooth", type=int, default=-1,
                    help="moving-average window in curve entries (default: 1/100 of the curve, 0 = raw only)")
    args = ap.parse_args(argv)
    plt = tmsio.setup_matplotlib()

    res = tmsio.Results(args.results)
    res.get("loss_curve")  # required either way: a clear error names it when absent
    sel = tmsio.select_from_args(res, args)
    rows = tmsio.rest_indices(res, [], sel)
    if res.has("W_history"):
        if not args.post:
            raise tmsio.TmsDataError("a file with /results/W_history needs --post POST.h5 (tms-post's D_i history "
                                     "and jump/drop steps)")
        fig = with_history(res, tmsio.Post(args.post), args, plt, rows)
    else:
        print("note: no /results/W_history in this file (sweep without snapshot_every): "
              "drawing the loss curves and the final D_i only")
        fig = without_history(res, args, plt, rows)
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: learning dynamics")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
