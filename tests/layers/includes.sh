#!/usr/bin/env bash
# includes.sh [ROOT]: checks every #include under ROOT/src and ROOT/include against the layer order
#   1_model < 2_sweep < 3_files < 4_orchestration < 5_bin
# A file may include its own module's headers ("mix.h"), any module of its own or a lower layer ("core/spec.h"),
# and system headers, except: the model layer takes no MPI, HDF5 or libyaml header; the sweep layer no MPI or HDF5.
# include/tms/tms.h, the installed umbrella header, counts as the sweep layer (it is the model + sweep API).
# Prints one line per violation (file:line, the include, the two layers) and exits 1 if there is any.
set -euo pipefail
ROOT=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"

# module name -> layer directory, from the tree itself (src/<layer>/<module>/). src/5_bin holds programs, not
# modules: nothing includes "sweep/..." or "post/..." from there (post/ is the 3_files module).
declare -A layer_of
for d in src/[1-4]_*/*/; do
  d=${d%/}; mod=${d##*/}; lay=${d#src/}; lay=${lay%%/*}
  layer_of[$mod]=$lay
done

bad=0
report() { echo "$1"; bad=$((bad + 1)); }

check_file() {  # check_file FILE LAYER MODULE
  local f=$1 lay=$2 mod=$3 n=0 line inc kind target tlay
  local num=${lay%%_*}
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*([\"\<])([^\"\>]+)[\"\>] ]] || continue
    kind=${BASH_REMATCH[1]}; inc=${BASH_REMATCH[2]}
    if [ "$kind" = "<" ]; then
      case $inc in
        mpi.h|mpi_*.h|mpio.h)              target=MPI ;;
        hdf5.h|hdf5_hl.h|H5*.h)            target=HDF5 ;;
        yaml.h)                            target=libyaml ;;
        *)                                 continue ;;
      esac
      if [ "$num" -le 1 ] || { [ "$num" -le 2 ] && [ "$target" != libyaml ]; }; then
        report "$f:$n: #include <$inc>: layer $lay ($mod) must not use $target"
      fi
      continue
    fi
    if [[ $inc != */* ]]; then  # a header of the file's own module
      if [ ! -e "$(dirname "$f")/$inc" ]; then
        report "$f:$n: #include \"$inc\": no such header beside it in module $mod"
      fi
      continue
    fi
    target=${inc%%/*}
    tlay=${layer_of[$target]:-}
    if [ -z "$tlay" ]; then
      report "$f:$n: #include \"$inc\": \"$target\" is not a module under src/<layer>/"
      continue
    fi
    if [ "${tlay%%_*}" -gt "$num" ]; then
      report "$f:$n: #include \"$inc\": layer $lay ($mod) includes higher layer $tlay ($target)"
    fi
  done < "$f"
}

nfiles=0
while IFS= read -r f; do
  rel=${f#src/}; lay=${rel%%/*}; rest=${rel#*/}; mod=${rest%%/*}
  check_file "$f" "$lay" "$mod"; nfiles=$((nfiles + 1))
done < <(find src -path 'src/[0-9]_*/*' \( -name '*.c' -o -name '*.h' \) | sort)
while IFS= read -r f; do
  check_file "$f" "2_sweep" "umbrella"; nfiles=$((nfiles + 1))
done < <(find include -name '*.h' 2>/dev/null | sort)

if [ "$bad" -gt 0 ]; then
  echo "includes: $bad include(s) break the layer order in $nfiles files under $ROOT"
  exit 1
fi
echo "includes: $nfiles files, every include runs downward"
