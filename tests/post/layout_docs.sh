#!/usr/bin/env bash
# layout_docs: the layout tables outside C are generated from the schema module (src/3_files/schema/schema.c) and
# must equal what the binary prints now: analysis/tms_layout.json (what tmsio.py and make_fixture.py read) is
# `tms-post layout --json`, and sweeps/results-layout.md and sweeps/post-layout.md hold `tms-post layout --markdown
# results|post` between their "BEGIN generated" and "END generated" lines. A difference fails with a diff.
# usage: layout_docs.sh TMS_POST SOURCE_DIR [--update]   (--update rewrites the three copies in place)
set -u
post=$1; src=$2; update=${3:-}
fail() { echo "layout_docs: FAILED: $*" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tms_layout.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$post" layout --json >"$tmp/layout.json" || fail "tms-post layout --json exited $?"
if [ "$update" = --update ]; then cp "$tmp/layout.json" "$src/analysis/tms_layout.json"; fi
diff -u "$src/analysis/tms_layout.json" "$tmp/layout.json" >"$tmp/d" ||
  { cat "$tmp/d"; fail "analysis/tms_layout.json differs from tms-post layout --json (regenerate: $0 $post $src --update)"; }
for kind in results post; do
  doc="$src/sweeps/$kind-layout.md"
  [ -f "$doc" ] || fail "$doc is missing"
  "$post" layout --markdown "$kind" >"$tmp/$kind.md" || fail "tms-post layout --markdown $kind exited $?"
  begin="<!-- BEGIN generated: tms-post layout --markdown $kind -->"
  end="<!-- END generated -->"
  grep -qxF "$begin" "$doc" && grep -qxF "$end" "$doc" || fail "$doc lacks the lines '$begin' and '$end'"
  if [ "$update" = --update ]; then
    awk -v b="$begin" -v e="$end" -v gen="$tmp/$kind.md" '
      $0 == b { print; while ((getline l < gen) > 0) print l; skip = 1; next }
      $0 == e { skip = 0 }
      !skip { print }' "$doc" >"$tmp/new.md" && cp "$tmp/new.md" "$doc"
  fi
  awk -v b="$begin" -v e="$end" '$0 == e { on = 0 } on { print } $0 == b { on = 1 }' "$doc" >"$tmp/$kind.doc"
  diff -u "$tmp/$kind.doc" "$tmp/$kind.md" >"$tmp/d" ||
    { cat "$tmp/d"; fail "the tables of $doc differ from tms-post layout --markdown $kind (regenerate: $0 $post $src --update)"; }
done
echo "layout_docs: tms_layout.json, results-layout.md and post-layout.md match the schema"
