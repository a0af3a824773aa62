"""`make bench`: figures, not pass/fail.

0. Training from scratch (empty Rasa cache), as a fresh clone pays it.
1. Directory: resolution + nearest service for all 1180 comuni and 1,000 misspellings (accuracy,
   p50/p99 time per lookup).
2. Load: N concurrent scripted Italian conversations (knowledge and triage turns) over REST, with an
   asyncio client on aiohttp, against our bot in two set-ups started side by side in one run:
   - single:     the default `make run` process (SQLite tracker store, in-memory lock store);
   - production: the tested production set-up (tests/replicas): 2 Rasa replicas behind Debian's
                 nginx with the internal configuration of deploy/nginx.conf.template, PostgreSQL tracker store and tables,
                 Redis lock store, one action server.
   Both are started (one after the other, for the ready time), then measured in turn at each level,
   so that the shared machine's slower or faster spells affect both alike. Two load models:
   - stress: each conversation sends its next message as soon as it has the answer (no pause);
   - paced:  each person pauses between turns as if reading and typing (SV_BENCH_PAUSE seconds,
             1-3 s by default), the realistic case for "N concurrent conversations".
   Prints p50/p95/p99 latency, throughput, errors, peak RSS and ready time per set-up, the
   throughput ratio; writes results/bench.json and results/bench.png (latency vs concurrency).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Dict, List

import aiohttp
import psutil

from assistant import serve, settings
from scripts import lb, services
from scripts.train_if_changed import train_command

ROOT = Path(__file__).resolve().parent.parent

BENCH = settings.bench()  # SV_BENCH_CONCURRENCY, SV_BENCH_SECONDS, SV_BENCH_PAUSE, SV_BENCH_TRAIN
CONCURRENCY, SECONDS, PAUSE = BENCH.concurrency, BENCH.seconds, BENCH.pause
PG_DB = "sportello_bench"
SCRIPT = [
    "ciao",
    "cos'è l'ammonimento?",
    "sì",
    "il mio ex mi perseguita",
    "no",
    "Pinerolo",
    "posso avere un avvocato gratis?",
    "grazie",
]


def percentile(values: List[float], q: int) -> float:
    """The q-th percentile (linear interpolation between the closest ranks); NaN without figures."""
    if len(values) < 2:
        return float(values[0]) if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# -- 1. directory --------------------------------------------------------------------------------
def bench_directory(db_url: str) -> Dict:
    import csv

    from assistant.directory import loader
    from assistant.directory.nearest import directory
    from assistant.directory.resolve import FOUND, index

    loader.load(db_url)
    idx, d = index(db_url), directory(db_url)
    with open(ROOT / "data/directory/comuni_piemonte.csv", encoding="utf-8") as fh:
        comuni = list(csv.DictReader(fh))
    rng = random.Random(1)
    times, right = [], 0
    for row in comuni:
        t0 = time.perf_counter()
        res = idx.resolve(row["comune"])
        if res.status == FOUND:
            d.nearest(res.comune["istat"], "centro_antiviolenza")
        times.append((time.perf_counter() - t0) * 1000)
        right += res.status == FOUND and res.comune["istat"] == row["istat"]
    typos = {"right": 0, "asked": 0, "unknown": 0, "wrong": 0}
    typo_times = []
    from assistant.text import normalise

    tried = 0
    while tried < 1000:
        row = rng.choice([c for c in comuni if len(c["comune"]) >= 6])
        chars = list(row["comune"].lower())
        i = rng.randrange(len(chars))
        chars[i] = rng.choice("aeiourlnst") if rng.random() < 0.5 else ""
        if normalise("".join(chars)) in idx.exact and normalise("".join(chars)) != normalise(row["comune"]):
            continue  # the typo is itself the name of another comune
        if normalise("".join(chars)) == normalise(row["comune"]):
            continue  # not a typo after all
        tried += 1
        t0 = time.perf_counter()
        res = idx.resolve("".join(chars))
        typo_times.append((time.perf_counter() - t0) * 1000)
        if res.status == FOUND:
            typos["right" if res.comune["istat"] == row["istat"] else "wrong"] += 1
        elif res.status == "ambiguous":
            typos["asked"] += 1
        else:
            typos["unknown"] += 1
    return {
        "comuni": len(comuni),
        "exact_accuracy": right / len(comuni),
        "lookup_ms_p50": percentile(times, 50),
        "lookup_ms_p99": percentile(times, 99),
        "misspellings": typos,
        "misspelling_ms_p50": percentile(typo_times, 50),
        "misspelling_ms_p99": percentile(typo_times, 99),
    }


def bench_training(tmp: Path) -> float:
    """`rasa train` as `make train` runs it, but with an empty cache: the time a fresh clone pays."""
    cmd = train_command(str(tmp / "model"), "bench")
    started = time.monotonic()
    subprocess.run(
        cmd,
        cwd=ROOT,
        env=serve.child_env({"RASA_CACHE_DIRECTORY": str(tmp / "rasa-cache")}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return time.monotonic() - started


# -- 2. load ---------------------------------------------------------------------------------------
def _tree(pids: List[int]) -> List[psutil.Process]:
    """The processes and all their descendants that are still running."""
    found = []
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            parent = psutil.Process(pid)
            found += [parent] + parent.children(recursive=True)
    return found


def tree_rss_mb(pids: List[int]) -> float:
    total = 0
    for proc in _tree(pids):
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total / 2**20


def tree_cpu_s(pids: List[int]) -> float:
    """CPU seconds (user + system) used so far by the processes and their descendants."""
    total = 0.0
    for proc in _tree(pids):
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def machine_busy() -> tuple:
    """(busy, total) CPU seconds of the whole machine so far (all cores; iowait counts as idle)."""
    times = psutil.cpu_times()
    total = sum(times)
    return total - times.idle - getattr(times, "iowait", 0.0), total


async def conversation(
    session, url: str, deadline: float, latencies: List[float], errors: List[str], paced: bool, rng: random.Random
):
    sender = "bench-" + uuid.uuid4().hex[:12]
    while time.monotonic() < deadline:
        for text in SCRIPT:
            if paced:
                await asyncio.sleep(rng.uniform(*PAUSE))
            if time.monotonic() >= deadline:
                return
            t0 = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as resp:
                    body = await resp.json(content_type=None)
                    if resp.status != 200 or not body:
                        errors.append(f"{resp.status} {text}")
            except Exception as err:  # noqa: BLE001
                errors.append(repr(err))
            latencies.append((time.perf_counter() - t0) * 1000)
        sender = "bench-" + uuid.uuid4().hex[:12]


async def load(url: str, users: int, paced: bool = False) -> Dict:
    latencies: List[float] = []
    errors: List[str] = []
    started = time.monotonic()
    deadline = started + SECONDS
    rng = random.Random(users)
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=120), connector=aiohttp.TCPConnector(limit=users * 2)
    ) as session:
        await asyncio.gather(
            *(conversation(session, url, deadline, latencies, errors, paced, rng) for _ in range(users))
        )
    elapsed = time.monotonic() - started
    return {
        "users": users,
        "model": "paced" if paced else "stress",
        "requests": len(latencies),
        "errors": len(errors),
        "throughput_rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
    }


def ensure_pg_database(server_url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(services.pg_url_with_db(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": PG_DB}).first():
            conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
    engine.dispose()
    return services.pg_url_with_db(server_url, PG_DB)


class SetUp:
    """One set-up of the bot: action server, `replicas` Rasa servers, nginx in front when more than one."""

    def __init__(self, name: str, env_extra: Dict[str, str], replicas: int = 1):
        self.name, self.replicas, self.levels = name, replicas, []
        self.tmp = Path(tempfile.mkdtemp(prefix=f"sv-bench-{name}-"))
        self.env = {"SV_ACTIONS_PORT": str(serve.free_port()), **env_extra}
        self.procs: Dict = {}
        self.peak_rss_mb = 0.0

    def start(self) -> None:
        token = uuid.uuid4().hex
        started = time.monotonic()
        self.procs, ports, front = lb.start_replicas(self.env, self.tmp, token, self.replicas)
        self.url = f"http://127.0.0.1:{front}/webhooks/rest/webhook"
        ready = lb.wait_ready(self.procs, ports, self.env["SV_ACTIONS_PORT"], front)
        if not ready:
            raise SystemExit(f"{self.name}: servers did not start (logs in {self.tmp})")
        self.ready_s = time.monotonic() - started
        asyncio.run(load(self.url, 2))  # warm-up
        print(f"  {self.name}: ready in {self.ready_s:.0f} s", flush=True)

    def measure(self, users: int, paced: bool) -> Dict:
        pids = [p.pid for p in self.procs.values()]
        peak, stop = {"mb": 0.0}, threading.Event()

        def sample():
            while not stop.is_set():
                peak["mb"] = max(peak["mb"], tree_rss_mb(pids))
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        cpu0, (busy0, total0), t0 = tree_cpu_s(pids), machine_busy(), time.monotonic()
        result = asyncio.run(load(self.url, users, paced))
        cpu1, (busy1, total1), t1 = tree_cpu_s(pids), machine_busy(), time.monotonic()
        stop.set()
        sampler.join()
        self.peak_rss_mb = max(self.peak_rss_mb, peak["mb"])
        # cores used by the set-up's own processes (Rasa, actions, nginx), and how busy the whole
        # machine was (with the load client, PostgreSQL and Redis)
        result["setup_cores"] = (cpu1 - cpu0) / (t1 - t0)
        result["machine_busy"] = (busy1 - busy0) / max(1e-9, total1 - total0)
        self.levels.append(result)
        print(
            f"  {self.name:10} {result['model']:6} users={users:3} rps={result['throughput_rps']:6.1f} "
            f"p50={result['p50_ms']:6.0f} ms p95={result['p95_ms']:6.0f} ms p99={result['p99_ms']:6.0f} ms "
            f"errors={result['errors']} cores={result['setup_cores']:.2f} "
            f"machine={100 * result['machine_busy']:.0f}%",
            flush=True,
        )
        return result

    def stop(self) -> None:
        serve.stop(self.procs)

    def report(self) -> Dict:
        return {
            "name": self.name,
            "replicas": self.replicas,
            "ready_s": self.ready_s,
            "peak_rss_mb": self.peak_rss_mb,
            "levels": self.levels,
        }


def plot(results: List[Dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for r in results:
        for model, style in (("stress", "-"), ("paced", ":")):
            lv = [x for x in r["levels"] if x["model"] == model]
            users = [x["users"] for x in lv]
            ax1.plot(users, [x["p95_ms"] for x in lv], marker="o", linestyle=style, label=f"{r['name']} {model} p95")
            if model == "stress":
                ax2.plot(users, [x["throughput_rps"] for x in lv], marker="o", label=r["name"])
    ax1.set_xlabel("concurrent conversations")
    ax1.set_ylabel("p95 latency (ms)")
    ax1.set_yscale("log")
    ax1.axhline(200, color="grey", linewidth=0.8, linestyle="--")
    ax1.legend(fontsize=8)
    ax2.set_xlabel("concurrent conversations (stress: no pause between turns)")
    ax2.set_ylabel("messages per second")
    ax2.legend()
    fig.suptitle("Sportello Vittime: REST latency and throughput (2 cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> int:
    out_dir = ROOT / "results"
    out_dir.mkdir(exist_ok=True)
    report: Dict = {"concurrency": CONCURRENCY, "seconds_per_level": SECONDS}
    tmp = Path(tempfile.mkdtemp(prefix="sv-bench-"))
    if BENCH.train:
        print("==> training from scratch (empty Rasa cache, into a temporary folder)", flush=True)
        report["training_s"] = bench_training(tmp)
        print(f"  {report['training_s']:.0f} s", flush=True)
    print("==> directory: resolution + nearest", flush=True)
    report["directory"] = bench_directory(f"sqlite:///{tmp}/dir.db")
    print(json.dumps(report["directory"], indent=2))

    print("==> load", flush=True)
    # PostgreSQL and Redis as the tests find them (SV_TEST_PG_URL / SV_TEST_REDIS_URL, the local
    # servers, or throwaway ones stopped at the end): scripts/services.py
    servers = contextlib.ExitStack()
    pg = ensure_pg_database(servers.enter_context(services.postgres()))
    redis_host, redis_port = services.redis_host_port(servers.enter_context(services.redis()))
    from assistant.directory import loader

    loader.load(pg)
    setups = [
        SetUp(
            "single", {"SV_TRACKER_URL": f"sqlite:///{tmp}/tracker.db", "SV_DATABASE_URL": f"sqlite:///{tmp}/dir.db"}
        ),
        SetUp(
            "production",
            {
                "SV_TRACKER_URL": pg,
                "SV_DATABASE_URL": pg,
                "SV_LOCK_STORE": "redis",
                "SV_REDIS_HOST": redis_host,
                "SV_REDIS_PORT": str(redis_port),
            },
            replicas=2,
        ),
    ]
    try:
        # started one after the other (ready time alone), then measured turn by turn at each level,
        # so that a slower or faster spell of the shared machine affects both alike
        for setup in setups:
            setup.start()
        for paced in (False, True):
            for users in CONCURRENCY:
                for setup in setups:
                    setup.measure(users, paced)
    finally:
        for setup in setups:
            setup.stop()
        servers.close()
    results = [setup.report() for setup in setups]
    report["setups"] = results
    best = {r["name"]: max(lv["throughput_rps"] for lv in r["levels"] if lv["model"] == "stress") for r in results}
    report["throughput_ratio"] = best["production"] / best["single"] if best["single"] else None
    (out_dir / "bench.json").write_text(json.dumps(report, indent=2))
    plot(results, out_dir / "bench.png")
    print("\n==> summary")
    if "training_s" in report:
        print(f"  training from scratch: {report['training_s']:.0f} s")
    for r in results:

        def at(model, users=10, r=r):
            return next((lv for lv in r["levels"] if lv["model"] == model and lv["users"] == users), None)

        stress, paced = at("stress"), at("paced")
        top = max((lv for lv in r["levels"] if lv["model"] == "stress"), key=lambda lv: lv["throughput_rps"])
        print(
            f"  {r['name']:10} ready {r['ready_s']:.0f} s, peak RSS {r['peak_rss_mb']:.0f} MB, "
            f"max {best[r['name']]:.1f} msg/s using {top['setup_cores']:.2f} cores "
            f"(machine {100 * top['machine_busy']:.0f}% busy); p95 at 10 conversations: "
            f"{paced['p95_ms'] if paced else float('nan'):.0f} ms paced, "
            f"{stress['p95_ms'] if stress else float('nan'):.0f} ms stress"
        )
    print(f"  throughput ratio production/single: {report['throughput_ratio']:.2f}")
    print(f"  written: {out_dir / 'bench.json'}, {out_dir / 'bench.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
