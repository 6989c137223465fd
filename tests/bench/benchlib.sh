# Shared by the bash parts of the benchmark (live.sh, migrate.sh); source it after
# setting WORK (a scratch directory) and real_virsh (the virsh to time).
#
# Both sides of a comparison run virsh through a wrapper that times each call from
# inside, so that "own" time (wall time minus time in virsh) can be compared: QEMU's
# and the guest's time vary far more than a driver adds.

install_virsh_wrapper() { install_timed_wrappers virsh; }

# install_timed_wrappers PROGRAM...: the same wrapper for other programs too (virsh is
# $real_virsh, the others the ones found in PATH now)
install_timed_wrappers() {
  local prog real
  mkdir -p "$WORK/bin"
  for prog; do
    if [ "$prog" = virsh ]; then real=$real_virsh; else real=$(command -v "$prog"); fi
    cat >"$WORK/bin/$prog" <<WRAP
#!/bin/bash
s=\$EPOCHREALTIME
"$real" "\$@"
rc=\$?
e=\$EPOCHREALTIME
echo "\${s/./} \${e/./}" >>"$WORK/inside"
exit \$rc
WRAP
    chmod +x "$WORK/bin/$prog"
  done
  case ":$PATH:" in *":$WORK/bin:"*) ;; *) export PATH="$WORK/bin:$PATH" ;; esac
}

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
# paired A B: the median of the per-round differences A - B (line n of each file is round n);
# rounds alternate the two sides, so a load drift between rounds cancels in each pair
paired() { paste "$1" "$2" | awk '{ print $1 - $2 }' | median; }

# step SERIES command...: runs it (failing the bench when it fails) and appends its wall
# time and its time outside virsh (us) to SERIES.wall and SERIES.own; $WORK/inside keeps
# the step's virsh calls (start end, us) until the next step
step() {
  # locals with names a caller's commands will not be reading (bash scoping is dynamic)
  local _series=$1 _t0 _t1 _inside
  shift
  : >"$WORK/inside"
  _t0=$(now_us)
  if ! "$@" >"$WORK/out" 2>"$WORK/err"; then
    echo "$(basename "$0"): $* failed:" >&2; cat "$WORK/err" >&2; exit 1
  fi
  _t1=$(now_us)
  _inside=$(awk '{ s += $2 - $1 } END { print s + 0 }' "$WORK/inside")
  echo $(( _t1 - _t0 )) >>"$WORK/$_series.wall"
  echo $(( _t1 - _t0 - _inside )) >>"$WORK/$_series.own"
}
