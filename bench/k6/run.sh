#!/usr/bin/env bash
# Runs k6 scenarios of bench/k6 against tern, in the order given (default:
# smoke load stress soak). `make bench-k6` calls it with k6 installed.
#
# With TERN_ADDR unset it starts a tern serve --dev of its own, on free
# ports and in a temporary data directory, and stops it at the end: the
# runs then neither need a `make run` in another shell nor fill its
# database, and ports another tern on the machine holds are no obstacle.
# With TERN_ADDR=host:port it runs against that tern instead (a `make run`:
# TERN_ADDR=127.0.0.1:8080), with TERN_KEY or data/dev-api-key as its key.
#
# The stress scenario ends when its thresholds fail, by design (k6 exits
# 99); any other scenario that fails makes this script fail.
#
# Environment: K6 (default .bin/k6), TERN (default bin/tern), KEEP=1 keeps
# the temporary directory, K6_LOAD_RATE, K6_LOAD_DURATION, K6_SOAK_RATE and
# K6_SOAK_DURATION (the RATE and DURATION of load and soak), and the
# scenarios' own variables (RATE, DURATION, MAX_RATE, RAMP, P95_MS, …; see
# bench/k6/*.js).
set -euo pipefail
cd "$(dirname "$0")/../.."
K6=${K6:-.bin/k6}
TERN=${TERN:-bin/tern}
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(smoke load stress soak)
for s in "${scenarios[@]}"; do
	[ -f "bench/k6/$s.js" ] || { echo "run.sh: no scenario bench/k6/$s.js" >&2; exit 2; }
done

# free_port prints a port nothing listens on and no earlier call printed,
# below the ephemeral range, whose ports outgoing connections take.
taken=" "
ephemeral=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % (ephemeral - 20000)))
		[[ $taken == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			taken+="$p "
			echo "$p"
			return
		fi
	done
	echo "run.sh: no free port found" >&2
	return 1
}

# tree_ticks prints the CPU ticks (user + system) of process $1 and its
# descendants: tern serve with its PostgreSQL and ClickHouse.
tree_ticks() {
	# Processes that end meanwhile make cat fail: not an error here.
	{ cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" '
	{ i = index($0, ") "); split(substr($0, i + 2), f, " "); ppid[$1] = f[2]; t[$1] = f[12] + f[13] }
	END { for (p in t) { q = p; while (q != root && (q in ppid) && q != "0") q = ppid[q]; if (q == root) s += t[p] } print s + 0 }'
}

# busy_ticks prints the machine's busy CPU ticks (all but idle, iowait
# and steal).
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }

# child_secs sets $1 to the CPU seconds this shell's finished children
# used (times must run in this shell, not in a $(…) subshell).
times_file=$(mktemp /tmp/tern-k6-times-XXXXXX)
child_secs() {
	times >"$times_file"
	printf -v "$1" '%s' "$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/); print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$times_file")"
}

serve_pid=""
dir=""
stop_tern() {
	rm -f "$times_file"
	if [ -n "$serve_pid" ]; then
		kill -TERM "$serve_pid" 2>/dev/null || true
		wait "$serve_pid" 2>/dev/null || true
		serve_pid=""
	fi
	if [ -n "$dir" ] && [ -z "${KEEP:-}" ]; then
		rm -rf "$dir"
	elif [ -n "$dir" ]; then
		echo "kept $dir"
	fi
}
trap stop_tern EXIT
trap 'exit 130' INT TERM

# start_tern starts tern serve --dev on free ports under $dir/$1 and
# waits until it runs; it fails when tern serve exits first.
start_tern() {
	local data="$dir/$1" log="$dir/$1.log"
	api=$(free_port) kafka=$(free_port) ch=$(free_port) chhttp=$(free_port) pg=$(free_port) sim=$(free_port) smpp=$(free_port)
	"$TERN" serve --dev --data "$data" --log-level warn --smpp-listen "127.0.0.1:$smpp" \
		--listen "127.0.0.1:$api" --kafka-listen "127.0.0.1:$kafka" \
		--clickhouse-port "$ch" --clickhouse-http-port "$chhttp" --postgres-port "$pg" \
		--sim-listen "127.0.0.1:$sim" >"$log" 2>&1 &
	serve_pid=$!
	echo "starting tern serve --dev on 127.0.0.1:$api (log: $log)"
	for _ in $(seq 240); do
		grep -q '^tern is running' "$log" && break
		if ! kill -0 "$serve_pid" 2>/dev/null; then
			tail -5 "$log" >&2
			serve_pid=""
			return 1
		fi
		sleep 0.5
	done
	grep -q '^tern is running' "$log" || { tail -20 "$log" >&2; echo "run.sh: tern serve did not start in 2 minutes" >&2; exit 1; }
	export TERN_ADDR="127.0.0.1:$api"
	TERN_KEY=$(cat "$data/dev-api-key")
	export TERN_KEY
}

if [ -z "${TERN_ADDR:-}" ]; then
	dir=$(mktemp -d /tmp/tern-k6-XXXXXX)
	chmod 711 "$dir" # PostgreSQL runs as user postgres when this runs as root
	# A port free when picked may be taken before tern serve binds it:
	# then again, on other ports.
	for try in 1 2 3; do
		start_tern "tern-$try" && break
		[ "$try" = 3 ] && { echo "run.sh: tern serve did not start" >&2; exit 1; }
		echo "tern serve exited; again on other ports"
	done
else
	if [ -z "${TERN_KEY:-}" ]; then
		TERN_KEY=$(cat data/dev-api-key)
		export TERN_KEY
	fi
fi

failed=()
for s in "${scenarios[@]}"; do
	echo "== k6 $s against $TERN_ADDR"
	# load and soak both read RATE and DURATION; make bench-k6 sets each
	# its own through K6_LOAD_* and K6_SOAK_*.
	args=()
	case $s in
	load)
		[ -z "${K6_LOAD_RATE:-}" ] || args+=(-e "RATE=$K6_LOAD_RATE")
		[ -z "${K6_LOAD_DURATION:-}" ] || args+=(-e "DURATION=$K6_LOAD_DURATION")
		;;
	soak)
		[ -z "${K6_SOAK_RATE:-}" ] || args+=(-e "RATE=$K6_SOAK_RATE")
		[ -z "${K6_SOAK_DURATION:-}" ] || args+=(-e "DURATION=$K6_SOAK_DURATION")
		;;
	esac
	[ -t 1 ] || args+=(--quiet)
	hz=$(getconf CLK_TCK)
	t0=$(date +%s.%N) b0=$(busy_ticks) s0=0
	child_secs c0
	[ -z "$serve_pid" ] || s0=$(tree_ticks "$serve_pid")
	rc=0
	"$K6" run "${args[@]}" "bench/k6/$s.js" || rc=$?
	child_secs c1
	t1=$(date +%s.%N) b1=$(busy_ticks) s1=0
	[ -z "$serve_pid" ] || s1=$(tree_ticks "$serve_pid")
	awk -v s="$s" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v hz="$hz" \
		-v tern="$((s1 - s0))" -v busy="$((b1 - b0))" -v own="$serve_pid" 'BEGIN {
		w = t1 - t0
		printf "== %s: CPU over the k6 run (%.0f s, setup and teardown included), in cores: k6 %.2f", s, w, (c1 - c0) / w
		if (own != "") printf ", tern serve with PostgreSQL and ClickHouse %.2f", tern / hz / w
		printf ", machine busy %.2f\n", busy / hz / w }'
	if [ "$s" = stress ] && [ "$rc" = 99 ]; then
		echo "== stress: thresholds crossed, as the ramp meant them to be (see the rate logged above)"
	elif [ "$rc" != 0 ]; then
		echo "== $s: failed (k6 exit $rc)"
		failed+=("$s")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed: ${failed[*]}" >&2
	exit 1
fi
