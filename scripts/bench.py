#!/usr/bin/env python3
"""The measuring half of scripts/bench.sh (run that, not this).

Every figure comes from runs interleaved A B A B ... (round robin over the
commands compared, so a burst of load on this shared machine hits all of
them alike), each run spawned directly (posix_spawn, stdout and stderr to
/dev/null) and reaped with wait4, whose rusage gives its CPU time and its
peak resident memory (getrusage's ru_maxrss). Wall and CPU times are
medians, memory the median peak. Each ratio compares two figures of the
same interleaved runs.

usage: bench.py BIN WORK [--rounds R] [--quick] [--agents]
  BIN       the clawdbot binary
  WORK      a folder for the generated homes (scripts/gen-home.py), kept
            between runs
  --agents  only the `--all-agents` rows and their growth in agents
"""
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NOW_MS = "1767225600000"


def gen(work, name, n, *flags):
    """A home made by gen-home.py (once); the first run of each command
    (see `interleaved`) syncs its Claude Code login, so what is measured is
    the steady state."""
    home = os.path.join(work, name)
    if not os.path.isdir(home):
        subprocess.run([sys.executable, os.path.join(HERE, "gen-home.py"), home, str(n), *flags], check=True)
    return home


def env_for(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAWDBOT_")}
    env.update({"HOME": home, "CLAWDBOT_NOW_MS": NOW_MS, "CLAWDBOT_KEYCHAIN": "off", "NO_COLOR": "1"})
    return env


def stores(home):
    """Every auth-profiles.json under the home's agents."""
    root = os.path.join(home, ".clawdbot", "agents")
    paths = (os.path.join(root, agent, "agent", "auth-profiles.json") for agent in sorted(os.listdir(root)))
    return [p for p in paths if os.path.isfile(p)]


class Cmd:
    def __init__(self, argv, home):
        self.argv, self.env = argv, env_for(home)
        self.walls, self.cpus, self.rss = [], [], []

    def run_once(self):
        null = os.open(os.devnull, os.O_WRONLY)
        actions = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
        start = time.perf_counter()
        pid = os.posix_spawn(self.argv[0], self.argv, self.env, file_actions=actions)
        _, _, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        os.close(null)
        return wall, usage

    def record(self):
        wall, usage = self.run_once()
        self.walls.append(wall * 1000)
        self.cpus.append((usage.ru_utime + usage.ru_stime) * 1000)
        self.rss.append(usage.ru_maxrss)

    @property
    def ms(self):
        return statistics.median(self.walls)

    @property
    def cpu(self):
        return statistics.median(self.cpus)

    @property
    def kib(self):
        return statistics.median(self.rss)

    def out_bytes(self):
        done = subprocess.run(self.argv, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return len(done.stdout)


def interleaved(cmds, rounds):
    """Each command once (page cache, the first sync), then `rounds` rounds
    of every command in turn."""
    for c in cmds:
        c.run_once()
    for _ in range(rounds):
        for c in cmds:
            c.record()


def fx(a, b):
    return "%.2fx" % (a / b) if b else "-"


def mib(kib):
    return "%.1f" % (kib / 1024)


def print_agents_growth(scale):
    print("`--all-agents`, linear in agents (µs per agent flat; listed in clawdbot.json, 5 profiles each):")
    print()
    print("| agents | `--check` (ms) | µs / agent | `--json` (ms) | µs / agent | peak RSS check / json (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for a, (c, j) in scale:
        print("| %d | %.2f | %.1f | %.2f | %.1f | %s / %s |" % (a, c.ms, c.ms * 1000 / a, j.ms, j.ms * 1000 / a,
                                                            mib(c.kib), mib(j.kib)))
    print()


def main():
    args = sys.argv[1:]
    rounds, quick = 11, False
    if "--rounds" in args:
        at = args.index("--rounds")
        rounds = int(args[at + 1])
        del args[at:at + 2]
    if "--quick" in args:
        args.remove("--quick")
        quick = True
    agents_only = "--agents" in args
    if agents_only:
        args.remove("--agents")
    binary, work = os.path.abspath(args[0]), os.path.abspath(args[1])
    os.makedirs(work, exist_ok=True)
    big = 20000 if quick else 100000
    agents = 200 if quick else 1000
    status = [binary, "models", "status"]

    print("machine: %d cores, %.0f GiB, %s %s, %s; %d interleaved rounds; load average %s" % (
        os.cpu_count(), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, os.uname().sysname,
        os.uname().release, time.strftime("%Y-%m-%d", time.gmtime()), rounds,
        " ".join("%.2f" % x for x in os.getloadavg())))
    print()

    # One agent of `big` profiles: --check, --json, doctor, and the floor.
    h_big = None if agents_only else gen(work, "home-%d" % big, big)
    floor_big = Cmd(["/bin/cat", *stores(h_big)], h_big) if h_big else None
    check_big = Cmd(status + ["--check"], h_big) if h_big else None
    json_big = Cmd(status + ["--json"], h_big) if h_big else None
    doctor_big = Cmd([binary, "doctor", "--non-interactive"], h_big) if h_big else None
    if h_big:
        interleaved([floor_big, check_big, json_big, doctor_big], rounds)

    # Doctor's growth: the same at a twentieth and a fifth of the size.
    growth = []
    for n in () if agents_only else (big // 20, big // 5):
        h = gen(work, "home-%d" % n, n)
        pair = [Cmd(["/bin/cat", *stores(h)], h), Cmd(status + ["--check"], h),
                Cmd([binary, "doctor", "--non-interactive"], h)]
        interleaved(pair, rounds)
        growth.append((n, pair))
    growth.append((big, [floor_big, check_big, doctor_big]))

    # `agents` agents of 5 profiles each, listed in the config and as
    # folders, against one agent of as many profiles.
    total = agents * 5
    h_one = gen(work, "home-%d" % total, total)
    one = [Cmd(["/bin/cat", *stores(h_one)], h_one), Cmd(status + ["--check"], h_one),
           Cmd(status + ["--json"], h_one)]
    many = {}
    for kind, flags in (("listed", ["--listed"]), ("folders", [])):
        h = gen(work, "agents-%d-%s" % (agents, kind), total, "--agents", str(agents), *flags)
        many[kind] = [Cmd(["/bin/cat", *stores(h)], h), Cmd(status + ["--all-agents", "--check"], h),
                      Cmd(status + ["--all-agents", "--json"], h)]
    interleaved(one + many["listed"] + many["folders"], rounds)

    # Linear in agents: a quarter and a half as many, listed.
    scale = []
    for a in (agents // 4, agents // 2):
        h = gen(work, "agents-%d-listed" % a, a * 5, "--agents", str(a), "--listed")
        pair = [Cmd(status + ["--all-agents", "--check"], h), Cmd(status + ["--all-agents", "--json"], h)]
        interleaved(pair, rounds)
        scale.append((a, pair))
    scale.append((agents, many["listed"][1:]))

    print("| ratio | home | floor: cat (ms) | A (ms) | B (ms) | B / A | B / A, CPU | target | peak RSS A / B (MiB) | memory B / A | target |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    def row(what, home, floor, a, b, target, mem_target="-"):
        print("| %s | %s | %.2f | %.2f | %.2f | %s | %s | %s | %s / %s | %s | %s |" % (
            what, home, floor.ms, a.ms, b.ms, fx(b.ms, a.ms), fx(b.cpu, a.cpu), target, mib(a.kib), mib(b.kib),
            fx(b.kib, a.kib), mem_target))

    if not agents_only:
        row("`--json` / `--check`", "1 agent, %d profiles" % big, floor_big, check_big, json_big, "<= 1.2x", "<= 1.1x")
        row("`doctor` / `--check`", "1 agent, %d profiles" % big, floor_big, check_big, doctor_big, "<= 1.3x")
    for kind in ("listed", "folders"):
        fl, chk, js = many[kind]
        home = "%d agents x 5 (%s) / 1 x %d" % (agents, "in clawdbot.json" if kind == "listed" else "folders", total)
        row("`--all-agents --check` / one agent's `--check`", home, fl, one[1], chk, "<= 1.5x", "<= 1.5x")
        row("`--all-agents --json` / one agent's `--json`", home, fl, one[2], js, "<= 1.5x", "<= 1.5x")
    print()
    print("(The floor is `cat` of the stores of B's home; for the agents rows A's is %.2f ms.)" % one[0].ms)
    print()
    if agents_only:
        print_agents_growth(scale)
        print("Output bytes: one agent of %d: `--check` %d, `--json` %d; %d agents: `--all-agents --check` %d, "
              "`--all-agents --json` %d." % (total, one[1].out_bytes(), one[2].out_bytes(), agents,
                                             many["listed"][1].out_bytes(), many["listed"][2].out_bytes()))
        return
    print("doctor, linear in profiles (µs per profile flat; `--check` beside it as the yardstick):")
    print()
    print("| profiles | cat (ms) | `--check` (ms) | doctor (ms) | doctor / `--check` | CPU | `--check` µs / profile | doctor µs / profile | peak RSS check / doctor (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, (f, c, d) in growth:
        print("| %d | %.2f | %.2f | %.2f | %s | %s | %.2f | %.2f | %s / %s |" % (
            n, f.ms, c.ms, d.ms, fx(d.ms, c.ms), fx(d.cpu, c.cpu), c.ms * 1000 / n, d.ms * 1000 / n, mib(c.kib),
            mib(d.kib)))
    print()
    print_agents_growth(scale)
    print("Every output of `models status`, one agent (the earlier table's columns, interleaved):")
    print()
    print("| profiles | store bytes | cat (ms) | `--check` (ms) | `--json` (ms) | text (ms) | prometheus (ms) | check / cat | json / check | text / check | prom / check | peak RSS check / json (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (0, 50, 5000, big):
        h = gen(work, "home-%d" % n, n)
        cmds = [Cmd(["/bin/cat", *stores(h)], h), Cmd(status + ["--check"], h), Cmd(status + ["--json"], h),
                Cmd(status, h), Cmd(status + ["--format", "prometheus"], h)]
        interleaved(cmds, rounds)
        f, c, j, t, p = cmds
        size = sum(os.path.getsize(x) for x in stores(h))
        print("| %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s | %s | %s | %s / %s |" % (
            n, size, f.ms, c.ms, j.ms, t.ms, p.ms, fx(c.ms, f.ms), fx(j.ms, c.ms), fx(t.ms, c.ms), fx(p.ms, c.ms),
            mib(c.kib), mib(j.kib)))
    print()
    print("Output bytes: %d profiles: `--check` %d, `--json` %d, doctor %d; one agent of %d: `--check` %d, "
          "`--json` %d; %d agents: `--all-agents --check` %d, `--all-agents --json` %d." % (
              big, check_big.out_bytes(), json_big.out_bytes(), doctor_big.out_bytes(), total, one[1].out_bytes(),
              one[2].out_bytes(), agents, many["listed"][1].out_bytes(), many["listed"][2].out_bytes()))


if __name__ == "__main__":
    main()
