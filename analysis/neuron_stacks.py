#!/usr/bin/python3
"""neuron_stacks: E8/E9 neuron stack plots of models with a privileged hidden basis (relu_hidden, abs).

Per model (lowest-loss replicate of a grid cell) one panel: one column per hidden neuron k; each weight of the
neuron that counts (|w| >= 0.1 x the neuron's largest, SCIENCE.md 4.9) is a rectangle of height |w_ik| coloured
by its feature's importance rank (viridis, colour bar per row), or by the feature's superposition s_i with
--color-by superposition; the weights that do not count are one grey block per sign; positive weights stacked
above the axis, negative ones below, largest first. When m > --top-neurons (16) only the neurons with the
largest ||W_in,k|| ||W_out,k|| are drawn (title: "top K of m"). Neurons are sorted by the importance of their
largest feature, whose rank labels the column.
Above each column: P (polysemantic) or M (monosemantic), from the post file's /neurons/polysemantic, or without
--post by the same rule (|w| >= 0.1 x the stack's largest |w|, more than one such weight = polysemantic).
abs models (M4) need --post: they are drawn from /neurons/W1_scaled (and /neurons/W2_scaled with --layer w2),
the per-neuron rescaling of SCIENCE.md 4.9 done by tms-post; this script never rescales itself.
Columns follow --x (default the density axis); rows are the other dimensions (e.g. size; use --select).
"""
import argparse

import numpy as np

import tmsio
from embeddings_2d import default_x


TAIL = "0.82"  # colour of the weights that do not count (|w| < 0.1 x the neuron's largest, SCIENCE.md 4.9)


def stack(ax, Wn, colors, marks, labels):
    """Wn: (n, m) weights, neuron k = column k (already in the wanted order). A neuron's weights that count are
    stacked largest first in their feature's colour; the rest of each sign is one grey block at the end."""
    n, m = Wn.shape
    edge = dict(edgecolor="k", linewidth=0.2)
    for k in range(m):
        a = np.abs(Wn[:, k])
        big = a >= 0.1 * a.max() if a.max() > 0 else np.zeros(n, bool)
        up = down = 0.0
        for i in np.argsort(-a):
            w = Wn[i, k]
            if w == 0 or not big[i]:
                continue
            if w > 0:
                ax.bar(k, w, bottom=up, width=0.8, color=colors[i], **edge)
                up += w
            else:
                ax.bar(k, w, bottom=-down, width=0.8, color=colors[i], **edge)
                down -= w
        rest_up = Wn[~big & (Wn[:, k] > 0), k].sum()
        rest_down = -Wn[~big & (Wn[:, k] < 0), k].sum()
        if rest_up > 0:
            ax.bar(k, rest_up, bottom=up, width=0.8, color=TAIL, linewidth=0)
        if rest_down > 0:
            ax.bar(k, -rest_down, bottom=-down, width=0.8, color=TAIL, linewidth=0)
        if marks is not None:
            ax.text(k, 1.0, "P" if marks[k] else "M", transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize=6 if m <= 20 else 4, color="C3" if marks[k] else "C2")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlim(-0.6, m - 0.4)
    ax.set_xticks(range(m))
    ax.set_xticklabels(labels, fontsize=5 if m <= 20 else 4)
    ax.tick_params(labelsize=6)
    ax.tick_params(axis="x", length=0, pad=1)


def contribution(W1, W2):
    """Per-neuron size used to pick the top neurons: ||W1_k|| ||W2_k|| (unchanged by M4's per-unit rescaling;
    W2 = W for the tied M3)."""
    return np.linalg.norm(W1, axis=0) * np.linalg.norm(W2, axis=0)


def panel(res, post, scaled, idx, args):
    """What one panel draws (scaled: a cache of the post file's datasets): the weights (abs: tms-post's rescaled W1 or W2), each feature's importance rank,
    the drawn neurons in order (the top ones by contribution, sorted by their largest feature's rank), the
    neurons' P/M marks and which weights count (in the drawn neurons)."""
    n, m = res.nm(idx)
    if res.p("variant", idx) == "abs":
        for name in ("W1_scaled", "W2_scaled"):
            if name not in scaled:
                scaled[name] = post.need(name)
        W1 = np.asarray(scaled["W1_scaled"][idx], dtype=np.float64)[:n, :m]
        W2 = np.asarray(scaled["W2_scaled"][idx], dtype=np.float64)[:n, :m]
        Wn, what = (W1, "W1 rescaled") if args.layer == "w1" else (W2, "W2 rescaled")
    else:
        Wn, what = res.W(idx), "W"
        W1 = W2 = Wn
    rank = np.empty(n, int)
    rank[np.argsort(-res.importance(idx), kind="stable")] = np.arange(n)
    keep = np.arange(m)
    if m > args.top_neurons:
        keep = np.sort(np.argsort(-contribution(W1, W2), kind="stable")[:args.top_neurons])
    primary = np.array([rank[np.argmax(np.abs(W1[:, k]))] for k in keep])
    order = keep[np.argsort(primary, kind="stable")]
    if post is not None:
        if "polysemantic" not in scaled:
            scaled["polysemantic"] = post.need("polysemantic")
        marks = np.asarray(scaled["polysemantic"][idx])[:m] > 0
    else:
        a = np.abs(W1)
        marks = ((a >= 0.1 * a.max(axis=0, keepdims=True)) & (a > 0)).sum(0) > 1
    a = np.abs(Wn[:, order])
    counted = (a >= 0.1 * a.max(axis=0, keepdims=True)) & (a > 0)
    return dict(Wn=Wn, what=what, rank=rank, order=order, primary=np.sort(primary), marks=marks, m=m,
                counted=counted.any(axis=1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tmsio.add_common_args(ap)
    ap.add_argument("--x", help="grid dimension along the columns (default: the density axis)")
    ap.add_argument("--layer", choices=["w1", "w2"], default="w1",
                    help="abs only: input weights W1 (default) or output weights W2")
    ap.add_argument("--color-by", choices=["feature", "superposition"], default="feature")
    ap.add_argument("--max-cols", type=int, default=8)
    ap.add_argument("--top-neurons", type=int, default=16,
                    help="draw only the K neurons with the largest ||W_in,k|| ||W_out,k|| when m > K (default 16)")
    args = ap.parse_args(argv)
    if args.top_neurons < 1:
        raise tmsio.TmsDataError(f"--top-neurons must be >= 1, not {args.top_neurons}")
    plt = tmsio.setup_matplotlib()
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.ticker import MaxNLocator

    res = tmsio.Results(args.results)
    res.get("W")
    post = tmsio.Post(args.post) if args.post else None
    variants = set(np.unique(res.param("variant")))
    if "abs" in variants and post is None:
        raise tmsio.TmsDataError("abs models are drawn from the rescaled weights of the post file: "
                                 "pass --post POST.h5 (datasets /neurons/W1_scaled, /neurons/W2_scaled)")
    if not variants & {"relu_hidden", "abs"}:
        print(f"note: variant(s) {', '.join(sorted(variants))} have no privileged basis; stacks of W drawn anyway")
    xdim = args.x or default_x(res)
    res.dim_index(xdim)
    sel = tmsio.select_from_args(res, args)
    xs = tmsio.columns(res, xdim, sel, args.max_cols)
    rows = tmsio.rest_indices(res, [xdim], sel)
    scaled = {}
    nr, nc = len(rows), len(xs)
    fig, axes = plt.subplots(nr, nc, figsize=(2.3 * nc + 1.6, 2.7 * nr + 0.6), squeeze=False, layout="constrained")
    for r, combo in enumerate(rows):
        panels = [(c, xi, tmsio.pick_replicate(res, dict(combo, **{xdim: xi}), args.replicate))
                  for c, xi in enumerate(xs)]
        panels = [(c, xi, idx, panel(res, post, scaled, idx, args) if idx is not None else None)
                  for c, xi, idx in panels]
        # colour range: the ranks of the weights that count in the drawn neurons (at n=100, I = 0.8^i, they stop
        # near rank 30: a 0..99 scale would make them all one colour)
        top = max([int(pd["rank"][pd["counted"]].max()) for *_, pd in panels if pd is not None and pd["counted"].any()]
                  or [1])
        top = max(top, 1)
        for c, xi, idx, pd in panels:
            ax = axes[r, c]
            title = res.axis_label(xdim, xi)
            if pd is None:
                ax.text(0.5, 0.5, "no data (not run or excluded)", ha="center", va="center", fontsize=7,
                        transform=ax.transAxes)
                ax.set_title(title, fontsize=7)
                ax.set_xticks([])
                ax.set_yticks([])
                continue
            m, order = pd["m"], pd["order"]
            if args.color_by == "superposition":
                colors = plt.get_cmap("plasma")(np.clip(np.nan_to_num(res.feat("interference", idx)), 0, 1))
            else:
                colors = plt.get_cmap("viridis")(np.minimum(pd["rank"], top) / top)
            stack(ax, pd["Wn"][:, order], colors, pd["marks"][order], [str(v) for v in pd["primary"]])
            shown = f"top {len(order)}/{m} neurons" if len(order) < m else f"{m} neurons"
            ax.set_title(f"{title}, {shown}\nloss {res.get('loss')[idx]:.3g}, "
                         f"{int(pd['marks'].sum())}/{m} poly", fontsize=7, pad=10)
            if c == 0:
                ax.set_ylabel((tmsio.cell_label(res, combo) + "\n" if combo else "") + pd["what"], fontsize=7)
        if args.color_by == "superposition":
            sm, label, ext = ScalarMappable(Normalize(0, 1), "plasma"), "superposition s_i of the feature", "neither"
        else:
            sm, label = ScalarMappable(Normalize(0, top), "viridis"), "feature importance rank (0 = most important)"
            ext = "max" if any(pd is not None and pd["rank"].max() > top for *_, pd in panels) else "neither"
        cb = fig.colorbar(sm, ax=axes[r, :].tolist(), fraction=0.02, pad=0.01, extend=ext)
        cb.set_label(label, fontsize=7)
        cb.ax.tick_params(labelsize=6)
        if args.color_by != "superposition":
            cb.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.supxlabel("columns: neurons, labelled by the importance rank of their largest feature; P / M: poly- / "
                  "monosemantic (>= 2 / 1 weights of at least 0.1 x the neuron's largest); grey: the weights below "
                  "that, summed per sign", fontsize=7)
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: neuron stack plots (colour: "
                          f"{'importance rank' if args.color_by == 'feature' else 'superposition'})")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
