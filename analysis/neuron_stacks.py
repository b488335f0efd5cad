#!/usr/bin/python3
"""neuron_stacks: E8/E9 neuron stack plots of models with a privileged hidden basis (relu_hidden, abs).

Per model (lowest-loss replicate of a grid cell) one panel: one column per hidden neuron k; each weight of the
neuron is a rectangle of height |w_ik| coloured by its feature i (tab20 over the importance rank, cyclic), or
by the feature's superposition s_i with --color-by superposition; positive weights stacked above the axis,
negative ones below; the order inside a stack carries no meaning (SCIENCE.md 4.9). Neurons are sorted by the importance of their largest feature.
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


def stack(ax, Wn, colors, marks):
    """Wn: (n, m) weights, neuron k = column k (already in the wanted order)."""
    n, m = Wn.shape
    edge = dict(edgecolor="k", linewidth=0.2) if n <= 20 else dict(linewidth=0)
    for k in range(m):
        up = down = 0.0
        for i in np.argsort(-np.abs(Wn[:, k])):
            w = Wn[i, k]
            if w == 0:
                continue
            h = abs(w)
            if w > 0:
                ax.bar(k, h, bottom=up, width=0.8, color=colors[i], **edge)
                up += h
            else:
                ax.bar(k, -h, bottom=-down, width=0.8, color=colors[i], **edge)
                down += h
        if marks is not None:
            ax.text(k, 1.0, "P" if marks[k] else "M", transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize=6 if m <= 20 else 4, color="C3" if marks[k] else "C2")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlim(-0.6, m - 0.4)
    ax.set_xticks([])
    ax.tick_params(labelsize=6)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tmsio.add_common_args(ap)
    ap.add_argument("--x", help="grid dimension along the columns (default: the density axis)")
    ap.add_argument("--layer", choices=["w1", "w2"], default="w1",
                    help="abs only: input weights W1 (default) or output weights W2")
    ap.add_argument("--color-by", choices=["feature", "superposition"], default="feature")
    ap.add_argument("--max-cols", type=int, default=8)
    args = ap.parse_args(argv)
    plt = tmsio.setup_matplotlib()

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
    poly_all = post.need("polysemantic") if post is not None else None
    scaled = {}
    nr, nc = len(rows), len(xs)
    fig, axes = plt.subplots(nr, nc, figsize=(2.3 * nc + 1, 2.6 * nr + 0.5), squeeze=False, layout="constrained")
    for r, combo in enumerate(rows):
        for c, xi in enumerate(xs):
            ax = axes[r, c]
            idx = tmsio.pick_replicate(res, dict(combo, **{xdim: xi}), args.replicate)
            title = res.axis_label(xdim, xi)
            if idx is None:
                ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
                ax.set_title(title, fontsize=7)
                ax.set_xticks([])
                continue
            n, m = res.nm(idx)
            if res.p("variant", idx) == "abs":
                name = "W1_scaled" if args.layer == "w1" else "W2_scaled"
                if name not in scaled:
                    scaled[name] = post.need(name)
                Wn = np.asarray(scaled[name][idx], dtype=np.float64)[:n, :m]
                what = "W1 rescaled" if args.layer == "w1" else "W2 rescaled"
            else:
                Wn, what = res.W(idx), "W"
            imp = res.importance(idx)
            rank = np.empty(n, int)
            rank[np.argsort(-imp, kind="stable")] = np.arange(n)
            order = np.argsort([rank[np.argmax(np.abs(Wn[:, k]))] for k in range(m)], kind="stable")
            Wn = Wn[:, order]
            if poly_all is not None:
                marks = np.asarray(poly_all[idx])[:m][order] > 0
            else:
                a = np.abs(Wn)
                marks = ((a >= 0.1 * a.max(axis=0, keepdims=True)) & (a > 0)).sum(0) > 1
            if args.color_by == "superposition":
                s = np.clip(np.nan_to_num(res.feat("interference", idx)), 0, 1)
                colors = plt.get_cmap("plasma")(s)
            else:
                colors = plt.get_cmap("tab20")(rank % 20)  # cyclic: neighbours in importance differ
            stack(ax, Wn, colors, marks)
            ax.set_title(f"{title} ({what})\nloss {res.get('loss')[idx]:.3g}, "
                         f"{int(marks.sum())}/{m} poly", fontsize=7, pad=10)
            if c == 0 and combo:
                ax.set_ylabel(tmsio.cell_label(res, combo), fontsize=7)
    tmsio.save(fig, args, f"{res.attr('sweep_name')}: neuron stack plots (colour: {args.color_by})")
    return 0


if __name__ == "__main__":
    tmsio.run_main(main)
