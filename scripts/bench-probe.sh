#!/usr/bin/env bash
# What `models status --probe` costs (issue 26 item 7; docs/performance.md):
# N Anthropic keys probed against a local server that answers each request
# in 50 ms, at concurrency 1, 2 and N; then against a server that never
# answers, at concurrency 2 with a 1 s timeout. Not a test: the figures
# depend on the machine, so compare them with the ideal next to each.
#
# usage: scripts/bench-probe.sh [profiles]     (default: 10)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10}"

cargo build -q --release -p clawdbot
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/clawdbot"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# A fake Anthropic: every GET answers 200 after $2 seconds (or never, "hang").
cat >"$work/fake.py" <<'EOF'
import http.server, socketserver, sys, time
port, delay = int(sys.argv[1]), sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # one answer, not headers then body 40 ms apart (delayed ACK)
    def do_GET(self):
        if delay == "hang":
            time.sleep(3600)
            return
        time.sleep(float(delay))
        body = b'{"data":[]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 64
Server(("127.0.0.1", port), Handler).serve_forever()
EOF
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve() { # delay -> sets $port (not in a subshell: the server stays ours to stop)
    port=$(free_port)
    python3 "$work/fake.py" "$port" "$1" &
    pids+=($!)
    for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port)).close()" 2>/dev/null && break; sleep 0.1; done
}
serve 0.05
fast=$port
serve hang
hung=$port

# A HOME with N Anthropic API keys (Anthropic is the default model's provider).
home="$work/home"
mkdir -p "$home/.clawdbot/agents/main/agent"
python3 - "$home/.clawdbot/agents/main/agent/auth-profiles.json" "$n" <<'EOF'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
profiles = {f"anthropic:k{i:02}": {"type": "api_key", "provider": "anthropic", "key": f"sk-ant-api03-FAKE-BENCH-{i:02}-0123456789"} for i in range(n)}
json.dump({"version": 1, "profiles": profiles}, open(path, "w"))
EOF

# One run: wall ms (the shell's clock) and durationMs (the probe batch, as
# the core reports it).
once() { # port concurrency timeout -> "wall batch"
    python3 - "$bin" "$1" "$2" "$3" "$home" <<'EOF'
import json, os, subprocess, sys, time
bin, port, conc, timeout, home = sys.argv[1:]
env = {"HOME": home, "PATH": os.environ["PATH"], "CLAWDBOT_KEYCHAIN": "off",
       "CLAWDBOT_API_URL_ANTHROPIC": f"http://127.0.0.1:{port}"}
start = time.monotonic()
out = subprocess.run([bin, "models", "status", "--json", "--probe", "--probe-concurrency", conc,
                      "--probe-timeout", timeout], env=env, capture_output=True, text=True).stdout
wall = (time.monotonic() - start) * 1000
print("%.0f %d" % (wall, json.loads(out)["auth"]["probes"]["durationMs"]))
EOF
}
median() { # port concurrency timeout runs -> "wall batch" medians
    local runs="$4" i walls=() batches=()
    for i in $(seq "$runs"); do read -r w b < <(once "$1" "$2" "$3"); walls+=("$w"); batches+=("$b"); done
    python3 -c 'import statistics,sys; a=sys.argv[1].split(); b=sys.argv[2].split(); print("%.0f %.0f" % (statistics.median(map(float,a)), statistics.median(map(float,b))))' "${walls[*]}" "${batches[*]}"
}

echo "machine: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d); $n profiles; medians of 7 runs (hung: 3)"
echo
echo "| server | concurrency | timeout | ideal batch (ms) | batch durationMs | whole command (ms) |"
echo "|---|---:|---:|---:|---:|---:|"
for c in 1 2 "$n"; do
    read -r wall batch < <(median "$fast" "$c" 8s 7)
    rounds=$(( (n + c - 1) / c ))
    echo "| answers in 50 ms | $c | 8 s | $((rounds * 50)) ($rounds x 50) | $batch | $wall |"
done
read -r wall batch < <(median "$hung" 2 1s 3)
rounds=$(( (n + 1) / 2 ))
echo "| never answers | 2 | 1 s | $((rounds * 1000)) ($rounds x 1 s) | $batch | $wall |"
