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
  { cat "$dir/log"; fail "tms-sweep run exited $?"; }
"$TMS_POST" "$dir/r.h5" -o "$dir/p.h5" >"$dir/log" 2>&1 || { cat "$dir/log"; fail "tms-post exited $?"; }
for f in r p; do
  ncdump -h "$dir/$f.h5" >"$dir/$f.cdl" 2>&1 || { tail -5 "$dir/$f.cdl"; fail "ncdump -h $f.h5 failed"; }
done
grep -q "float W(size, variant, density, replicate, feature, hidden)" "$dir/r.cdl" || fail "ncdump: W lacks named dims"
grep -q "double fraction(size, variant, density, class)" "$dir/p.cdl" || fail "ncdump: fraction lacks named dims"
"$PY" - "$dir/r.h5" "$dir/p.h5" <<'PYEOF' || fail "xarray (see above)"
import sys, numpy as np, xarray as xr
r, p = sys.argv[1], sys.argv[2]
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
pts = check(r, "points", {"status": grid, "seed": grid})
assert int((pts["status"] == 1).sum()) == 20, int((pts["status"] == 1).sum())
check(p, "phase", {"fraction": grid[:-1] + ("class",), "class_per_seed": grid})
check(p, "summary", {"loss_best": grid[:-1], "dstar": grid})
check(p, "features", {"geometry": grid + ("feature",)})
check(p, "vulnerability", {"value": grid})
check(p, "neurons", {"polysemantic": grid + ("hidden",), "W1_scaled": grid + ("feature", "hidden")})
print("netcdf: xarray opens every group with named dims and coordinates")
PYEOF
echo "netcdf: ok"
