"""Serving throughput: the micro-batched service vs naive one-request-one-forward services.

All three are the same app (`writing7 serve` in a uvicorn subprocess on 127.0.0.1):

- **batched**: micro-batching on (``--max-batch-size``, ``--max-wait-ms``);
- **naive**: ``--no-batching --max-batch-size 1``: every request runs its own forward in a worker
  thread, several at once (what a plain FastAPI endpoint does);
- **one-at-a-time**: micro-batching on with ``--max-batch-size 1``: the same queue, one forward of
  one pair at a time.

A real HTTP client (httpx, asyncio) sends ``--requests`` ``POST /v1/score`` requests, each a distinct
pair of passages (no text repeats, so batching gains nothing from de-duplication), ``--concurrency``
at a time, after a warm-up. Reported: errors, pairs/s, p50/p99 latency, the server's mean batch
size, and the speed-ups. The servers run with ``OMP_WAIT_POLICY=PASSIVE`` (``--omp-wait-policy``):
on a machine whose cores are shared with other work, spinning OpenMP threads slow small forwards
by an order of magnitude, which would flatter batching.

``--precisions`` (default: fp32, int8, and bf16 where this CPU runs it natively) runs the batched server
once per precision (``writing7 serve --precision``) on the same requests, each beside its in-process
ceiling (``Matcher.score_batch`` at that precision, no HTTP) and the share of it the server reaches; the
naive and one-at-a-time baselines run at the first precision (``--no-baselines`` skips them). Every
figure is printed with the CPU (model, AVX2 / AVX-512 / AVX512-BF16 / AMX) and the precision the server
reports running (``GET /v1/model``).

Usage::

    python bench/serve.py --requests 2000 --concurrency 64 --words 200
    python bench/serve.py --model artifacts/models/book_matcher_contrastive/final --precisions fp32,int8 --no-baselines
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from matcher_setup import choose_model, cpu_description, passages  # noqa: E402

STARTUP_SECONDS = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(model: Path, *, uncalibrated: bool, batching: bool, max_batch_size: int, max_wait_ms: float, threads: int,
                 omp_wait_policy: str, precision: str) -> tuple[subprocess.Popen, str]:
    import httpx

    port = free_port()
    command = [sys.executable, "-m", "writing7", "--quiet", "serve", "--model", str(model), "--port", str(port),
               "--max-batch-size", str(max_batch_size), "--max-wait-ms", str(max_wait_ms), "--log-level", "warning",
               "--batching" if batching else "--no-batching", "--precision", precision, *(["--uncalibrated"] if uncalibrated else [])]
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": omp_wait_policy}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}: {process.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).json().get("model_loaded"):
                return process, url
        except httpx.HTTPError:
            time.sleep(0.5)
    stop_server(process)
    raise SystemExit(f"server did not start within {STARTUP_SECONDS} s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)


async def drive(url: str, pairs: list[tuple[str, str]], concurrency: int) -> dict:
    """Send every pair once, ``concurrency`` in flight; latencies in seconds and error count."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors: list[str] = []
    queue: asyncio.Queue = asyncio.Queue()
    for pair in pairs:
        queue.put_nowait(pair)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            text1, text2 = queue.get_nowait()
            started = time.perf_counter()
            try:
                response = await client.post(f"{url}/v1/score", json={"text1": text1, "text2": text2})
                if response.status_code != 200 or "p_same_book" not in response.json():
                    errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
            except httpx.HTTPError as error:
                errors.append(f"{type(error).__name__}: {error}")
            latencies.append(time.perf_counter() - started)

    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(600.0)) as client:
        started, client_cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall, client_cpu = time.perf_counter() - started, time.process_time() - client_cpu
    return {"latencies": latencies, "errors": errors, "wall": wall, "client_cpu": client_cpu}


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far, all its threads (``/proc/PID/stat``; 0.0 where there is no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14 and 15 of stat(5)


def measure(model: Path, pairs: list, warmup: list, *, uncalibrated: bool, batching: bool, concurrency: int,
            max_batch_size: int, max_wait_ms: float, threads: int, omp_wait_policy: str, precision: str) -> dict:
    import httpx

    process, url = start_server(model, uncalibrated=uncalibrated, batching=batching, max_batch_size=max_batch_size,
                                max_wait_ms=max_wait_ms, threads=threads, omp_wait_policy=omp_wait_policy, precision=precision)
    try:
        asyncio.run(drive(url, warmup, concurrency))
        server_cpu = process_cpu_seconds(process.pid)
        result = asyncio.run(drive(url, pairs, concurrency))
        server_cpu = process_cpu_seconds(process.pid) - server_cpu
        card = httpx.get(f"{url}/v1/model", timeout=30).json()
        batching_stats, running = card["batching"]["score"], (card.get("precision") or {}).get("running")
    finally:
        stop_server(process)
    latencies = np.array(result["latencies"]) * 1000.0
    return {
        "precision": precision, "running": running,
        "batching": batching, "max_batch_size": max_batch_size, "requests": len(pairs), "errors": len(result["errors"]),
        "first_errors": result["errors"][:3], "wall_s": round(result["wall"], 2), "pairs_per_s": round(len(pairs) / result["wall"], 2),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1), "p99_ms": round(float(np.percentile(latencies, 99)), 1),
        "server_mean_batch": batching_stats["mean_batch_items"],
        # shares of the machine's CPU time during the timed requests: what the load generator took from the server
        **{f"{side}_cpu_share": round(seconds / (result["wall"] * (os.cpu_count() or 1)), 3)
           for side, seconds in (("client", result["client_cpu"]), ("server", server_cpu))},
    }


def engine_ceiling(model: Path, pairs: list, *, uncalibrated: bool, batch_size: int, threads: int, precision: str, sample_pairs: int = 256) -> dict:
    """In-process pairs/s of ``Matcher.score_batch`` with ``batch_size`` pairs per call vs one pair per call.

    No HTTP, no queue: the most any micro-batching server can gain over one forward per request on
    this machine. When the model's forward is compute-bound, this ratio stays small whatever the server does.
    """
    import torch

    from writing7.config.inference import InferenceConfig
    from writing7.inference.matcher import Matcher

    torch.set_num_threads(threads)
    matcher = Matcher.load(model, device="cpu", uncalibrated=uncalibrated, config=InferenceConfig(precision=precision).matcher_settings())
    matcher.score_batch(pairs[:batch_size])  # warm-up
    rates = {}
    for name, size in (("batched", batch_size), ("single", 1)):
        sample = pairs[: max(batch_size * 4, sample_pairs)] if size > 1 else pairs[:sample_pairs]
        started = time.perf_counter()
        for start in range(0, len(sample), size):
            matcher.score_batch(sample[start:start + size])
        rates[name] = round(len(sample) / (time.perf_counter() - started), 2)
    rates["ratio"] = round(rates["batched"] / rates["single"], 2)
    rates["running"] = matcher.model.precision
    return rates


def ceiling_in_subprocess(model: Path, pairs: list, *, uncalibrated: bool, batch_size: int, threads: int, precision: str,
                          sample_pairs: int, omp_wait_policy: str) -> dict:
    """:func:`engine_ceiling` in a fresh process with the servers' thread settings (``OMP_WAIT_POLICY`` is read at start-up)."""
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "pairs.json"
        source.write_text(json.dumps(pairs[: max(batch_size * 4, sample_pairs)]), encoding="utf-8")
        command = [sys.executable, __file__, "--ceiling-of", precision, "--ceiling-source", str(source), "--model", str(model),
                   "--max-batch-size", str(batch_size), "--threads", str(threads), "--ceiling-pairs", str(sample_pairs),
                   *(["--uncalibrated-ceiling"] if uncalibrated else [])]
        environment = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "OMP_WAIT_POLICY": omp_wait_policy}
        output = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout
    return json.loads(output.strip().splitlines()[-1])


def default_precisions() -> list[str]:
    """fp32 and int8 everywhere, bf16 where this CPU runs it natively."""
    from writing7.models.runtime import cpu_has_bf16_instructions

    return ["fp32", *(["bf16"] if cpu_has_bf16_instructions() else []), "int8"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="Model folder (default: a trained one under artifacts, else MiniLM with an untrained head).")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--baseline-requests", type=int, default=0, help="Requests for the naive server (default: --requests).")
    parser.add_argument("--concurrency", type=int, default=64)
    # 200 words: the verdict's passage band. Below its min_words (about 70) every pair abstains without a verdict, which
    # is not a workload worth measuring (the first version of this benchmark sent 60-word passages).
    parser.add_argument("--words", type=int, default=200, help="Words per passage.")
    parser.add_argument("--max-batch-size", type=int, default=64)
    parser.add_argument("--max-wait-ms", type=float, default=5.0)
    parser.add_argument("--warmup", type=int, default=64, help="Requests sent before timing.")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads of the server.")
    parser.add_argument("--omp-wait-policy", default="PASSIVE", choices=("PASSIVE", "ACTIVE"))
    parser.add_argument("--precisions", type=lambda text: text.split(","), default=None,
                        help="Comma-separated precisions of the batched server (default: fp32, bf16 where native, int8).")
    parser.add_argument("--ceiling-pairs", type=int, default=256, help="Pairs timed in process per precision (at least 4 batches).")
    parser.add_argument("--no-baselines", action="store_true", help="Only the batched server at each precision.")
    parser.add_argument("--output", type=Path, help="Also write the report as JSON here.")
    parser.add_argument("--ceiling-of", help=argparse.SUPPRESS)  # internal: one in-process ceiling, printed as JSON
    parser.add_argument("--ceiling-source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--uncalibrated-ceiling", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ceiling_of:
        pairs = [tuple(pair) for pair in json.loads(args.ceiling_source.read_text(encoding="utf-8"))]
        print(json.dumps(engine_ceiling(args.model, pairs, uncalibrated=args.uncalibrated_ceiling, batch_size=args.max_batch_size,
                                        threads=args.threads, precision=args.ceiling_of, sample_pairs=args.ceiling_pairs)))
        return
    args.precisions = args.precisions or default_precisions()

    baseline_requests = args.baseline_requests or args.requests
    needed = 2 * (args.requests + args.warmup)
    texts = [text for _, text in passages(needed, words=args.words)]
    pairs = list(zip(texts[0:needed:2], texts[1:needed:2]))
    warmup, timed = pairs[: args.warmup], pairs[args.warmup:]
    servers = {f"batched {precision}": {"batching": True, "max_batch_size": args.max_batch_size, "pairs": timed, "precision": precision}
               for precision in args.precisions}
    if not args.no_baselines:
        servers["naive"] = {"batching": False, "max_batch_size": 1, "pairs": timed[:baseline_requests], "precision": args.precisions[0]}
        servers["one-at-a-time"] = {"batching": True, "max_batch_size": 1, "pairs": timed[:baseline_requests], "precision": args.precisions[0]}
    cpu = cpu_description()
    rows, ceilings = {}, {}
    with tempfile.TemporaryDirectory() as work:
        model, uncalibrated, description = choose_model(args.model, Path(work), texts)
        print(f"cpu: {cpu}\nmodel: {description}; load average {os.getloadavg()}", flush=True)
        for name, server in servers.items():
            rows[name] = measure(model, server["pairs"], warmup, uncalibrated=uncalibrated, batching=server["batching"],
                                 max_batch_size=server["max_batch_size"], concurrency=args.concurrency, max_wait_ms=args.max_wait_ms,
                                 threads=args.threads, omp_wait_policy=args.omp_wait_policy, precision=server["precision"])
            print(name, json.dumps(rows[name]), f"load {os.getloadavg()[0]:.1f}", flush=True)
        for precision in args.precisions:
            ceilings[precision] = ceiling_in_subprocess(model, pairs, uncalibrated=uncalibrated, batch_size=args.max_batch_size, threads=args.threads,
                                                        precision=precision, sample_pairs=args.ceiling_pairs, omp_wait_policy=args.omp_wait_policy)
            print(f"ceiling {precision}", json.dumps(ceilings[precision]), f"load {os.getloadavg()[0]:.1f}", flush=True)
    first = f"batched {args.precisions[0]}"
    speedups = {name: round(rows[first]["pairs_per_s"] / rows[name]["pairs_per_s"], 2) for name in ("naive", "one-at-a-time") if name in rows}
    share = {precision: round(rows[f"batched {precision}"]["pairs_per_s"] / ceilings[precision]["batched"], 2) for precision in args.precisions}
    report = {"cpu": cpu, "model": description, "words_per_passage": args.words, "concurrency": args.concurrency, "cpu_count": os.cpu_count(),
              "load_average": os.getloadavg(), "servers": rows, "speedup": speedups, "engine_ceiling": ceilings, "share_of_ceiling": share}
    print(f"\ncpu: {cpu}")
    print(f"{'server':<16}{'precision':>10}{'requests':>9}{'errors':>8}{'pairs/s':>10}{'ceiling':>9}{'share':>7}{'p50 ms':>9}{'p99 ms':>9}{'batch':>7}")
    for name, row in rows.items():
        ceiling = ceilings[row["precision"]]["batched"] if name.startswith("batched") else "-"
        ratio = share[row["precision"]] if name.startswith("batched") else "-"
        print(f"{name:<16}{str(row['running']):>10}{row['requests']:>9}{row['errors']:>8}{row['pairs_per_s']:>10}{ceiling:>9}{ratio:>7}"
              f"{row['p50_ms']:>9}{row['p99_ms']:>9}{row['server_mean_batch']:>7}")
    if speedups:
        print(f"speed-up of batched {args.precisions[0]} (pairs/s): " + ", ".join(f"{value}x vs {name}" for name, value in speedups.items()))
    for precision, ceiling in ceilings.items():
        print(f"in-process ceiling at {ceiling['running']} (Matcher.score_batch, no HTTP): {ceiling['batched']} pairs/s with "
              f"{args.max_batch_size} pairs a call, {ceiling['single']} with 1 ({ceiling['ratio']}x)")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
