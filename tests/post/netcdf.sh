#!/usr/bin/env bash
# Results and post files read as netCDF-4: xarray (engine h5netcdf) opens every group of both files with dimensions
# named after the sweep's axes, replicate and feature/hidden/..., the axis values as coordinates and word-valued axes
# as str; ncdump -h reads both files whole. Env (from tms_script_test): TMS_SWEEP, TMS_POST, TMS_TEST_DIR.
set -u
fail() { echo "netcdf: FAILED: $*" >&2; exit 1; }
PY=/usr/bin/python3
"$PY" -c "import xarray, h5netcdf" 2>/dev/null || { echo "SKIP: python3-xarray / python3-h5netcdf missing"; exit 77; }
command -v ncdump >/dev/null || { echo "SKIP: ncdump (netcdf-bin) missing"; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/tms_netcdf.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$TMS_SWEEP" run "$TMS_TEST_DIR/orchestrator/tiny.yaml" -o "$dir/r.h5" --quiet >"$dir/log" 2>&1 ||
  { rc=$?; cat "$dir/log"; fail "tms-sweep run exited $rc"; }
"$TMS_POST" "$dir/r.h5" -o "$dir/p.h5" >"$dir/log" 2>&1 || { rc=$?; cat "$dir/log"; fail "tms-post exited $rc"; }
# a zip group with a word member, a one-point file of train --out and its post file, a theory file
cat >"$dir/zw.yaml" <<'YAML'
schema: tms-sweep/1
name: netcdf-zip-words
seed: 3
fixed: {density: 0.1, steps: 20, batch_size: 16, log_every: 10, eval_batch: 64}
zip:
  shape: {n_features: {values: [3, 4]}, n_hidden: {values: [2, 2]}, variant: {values: [relu_out, abs]}}
replicates: 1
YAML
"$TMS_SWEEP" run "$dir/zw.yaml" -o "$dir/z.h5" --quiet >"$dir/log" 2>&1 || { rc=$?; cat "$dir/log"; fail "zip sweep exited $rc"; }
"$TMS_SWEEP" train --n-features 4 --n-hidden 2 --density 0.1 --steps 20 --out "$dir/t.h5" >"$dir/log" 2>&1 ||
  { rc=$?; cat "$dir/log"; fail "train --out exited $rc"; }
"$TMS_POST" "$dir/t.h5" -o "$dir/tp.h5" >"$dir/log" 2>&1 || { rc=$?; cat "$dir/log"; fail "tms-post of train --out exited $rc"; }
"$TMS_POST" theory --n 2 --m 1 --importance-logspace -1 1 4 --density-logspace 0 -2 3 -o "$dir/th.h5" >"$dir/log" 2>&1 ||
  { rc=$?; cat "$dir/log"; fail "tms-post theory exited $rc"; }
for f in r p z t tp th; do
  ncdump -h "$dir/$f.h5" >"$dir/$f.cdl" 2>&1 || { tail -5 "$dir/$f.cdl"; fail "ncdump -h $f.h5 failed"; }
done
grep -q "float W(size, variant, density, replicate, feature, hidden)" "$dir/r.cdl" || fail "ncdump: W lacks named dims"
grep -q "double fraction(size, variant, density, phase_class)" "$dir/p.cdl" || fail "ncdump: fraction lacks named dims"
"$PY" - "$dir" <<'PYEOF' || fail "xarray (see above)"
import sys, numpy as np, xarray as xr
d = sys.argv[1]
r, p = f"{d}/r.h5", f"{d}/p.h5"
grid = ("size", "variant", "density", "replicate")
def check(path, group, want):
    ds = xr.open_dataset(path, engine="h5netcdf", group=group)
    for name, dims in want.items():
        got = ds[name].dims
        assert got == dims, f"{path}:{group}/{name} has dims {got}, want {dims}"
    for d in grid:
        assert d in ds.coords, f"{path}:{group}: no coordinate {d}"
    return ds
ds = check(r, "results", {"W": grid + ("feature", "hidden"), "loss": grid, "loss_curve": grid + ("curve",),
                          "W_history": grid + ("snapshot", "feature", "hidden"), "eval_curve": grid + ("eval",)})
v = ds["variant"].values
assert [type(x) for x in v] == [str, str] and list(v) == ["relu_out", "abs"], f"variant coordinate is {v!r}"
assert np.allclose(ds["density"].values, [1.0, 0.3, 0.1]), ds["density"].values
assert list(ds["replicate"].values) == [0, 1]
loss = ds["loss"].sel(variant="abs", density=0.1).values
assert np.isfinite(loss).all(), f"loss at abs, density 0.1: {loss}"
check(r, "metrics", {"dimensionality": grid + ("feature",), "dstar": grid})
pts = check(r, "points", {"status": grid, "seed": grid, "wall_s": grid, "eval_s": grid})
ev = pts["eval_s"].values[pts["status"].values == 1]
assert (ev > 0).all() and (ev <= pts["wall_s"].values[pts["status"].values == 1]).all(), f"eval_s {ev}"
assert int((pts["status"] == 1).sum()) == 20, int((pts["status"] == 1).sum())
check(p, "phase", {"fraction": grid[:-1] + ("phase_class",), "class_per_seed": grid})
check(p, "summary", {"loss_best": grid[:-1], "dstar": grid})
check(p, "features", {"geometry": grid + ("feature",)})
check(p, "vulnerability", {"value": grid})
check(p, "neurons", {"polysemantic": grid + ("hidden",), "W1_scaled": grid + ("feature", "hidden")})
m = xr.open_dataset(r, engine="h5netcdf", group="axes/size_members")
assert m["n_features"].dims == ("size",) and list(m["n_features"].values) == [3, 5], m["n_features"]
z = xr.open_dataset(f"{d}/z.h5", engine="h5netcdf", group="axes/shape_members")
v = z["variant"].values
assert [type(x) for x in v] == [str, str] and list(v) == ["relu_out", "abs"], f"zip word member is {v!r}"
t = xr.open_dataset(f"{d}/t.h5", engine="h5netcdf", group="results")
assert t["W"].dims == ("replicate", "feature", "hidden") and t["W"].shape == (1, 4, 2), t["W"]
tp = xr.open_dataset(f"{d}/tp.h5", engine="h5netcdf", group="summary")
assert tp["loss_best"].dims == ("cell",) and tp["dstar"].dims == ("replicate",), tp
th = xr.open_dataset(f"{d}/th.h5", engine="h5netcdf", group="phase")
assert th["class"].dims == ("last_importance", "density") and th["class"].shape == (4, 3), th["class"]
assert np.allclose(th["last_importance"].values, 10 ** np.linspace(-1, 1, 4)), th["last_importance"].values
print("netcdf: xarray opens every group with named dims and coordinates")
PYEOF
echo "netcdf: ok"
