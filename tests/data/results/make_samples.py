"""Writes the sample result files of this folder (README.md says what each is made from)."""
import json

N = 8


def ring_step(message):
    alpha, bandwidth = (5e-6, 20e9) if message <= 65536 else (10e-6, 80e9)
    return alpha + message / bandwidth


def p2p(m):
    return (0.5e-6 + m / 10e9) if m <= 8192 else (2e-6 + m / 12e9)


def figure(v):
    """A figure in at most 7 characters, as nccl-tests prints them."""
    for decimals in (2, 1, 0):
        text = f"{v:.{decimals}f}"
        if len(text) <= 7:
            return text
    return f"{v:.1e}"


rows = []
for k in range(13):
    m = 8 * 4 ** k
    t = 2 * (N - 1) * ring_step(m // N)
    algbw = m / t / 1e9
    rows.append((m, m // 4, t * 1e6, algbw, algbw * 2 * (N - 1) / N))

head = ("# nccl-tests version 2.13.9 nccl-headers=21903 nccl-library=21903\n"
        "# Collective test starting: all_reduce_perf\n"
        "# nThread 1 nGpus 1 minBytes 8 maxBytes 134217728 step: 4(factor) warmup iters: 5 iters: 20"
        " agg iters: 1 validation: 1 graph: 0\n#\n# Using devices\n")
for r in range(N):
    head += (f"#  Rank {r:2d} Group  0 Pid {4100 + r:6d} on      node1 device {r:2d}"
             f" [0000:{r + 0x18:02x}:00] NVIDIA H100 80GB HBM3\n")
head += ("#\n"
         "#                                                              out-of-place"
         "                       in-place          \n"
         "#       size         count      type   redop    root     time   algbw   busbw #wrong"
         "     time   algbw   busbw #wrong\n"
         "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)"
         "            (us)  (GB/s)  (GB/s)       \n")
body = "".join(f"{m:12d}  {c:12d}     float     sum      -1  {figure(t):>7s}  {figure(a):>6s}  "
               f"{figure(b):>6s}  {0:6d}  {figure(t * 1.01):>7s}  {figure(a / 1.01):>6s}  "
               f"{figure(b / 1.01):>6s}  {0:6d}\n" for m, c, t, a, b in rows)
foot = ("# Out of bounds values : 0 OK\n# Avg bus bandwidth    : 42.1 \n#\n"
        "# Collective test concluded: all_reduce_perf\n")
with open("nccl-tests-all_reduce-8gpu.txt", "w") as f:
    f.write(head + body + foot)

devices = [{"rank": r, "group": 0, "pid": 4100 + r, "hostname": "node1" if r < 4 else "node2",
            "device": r % 4, "device_hex": "0000:18:00", "device_info": "NVIDIA H100 80GB HBM3"}
           for r in range(N)]
doc = {"version": 1, "start_time": "2026-12-01 10:00:00",
       "args": ["./build/all_reduce_perf", "-b", "32", "-e", "128M", "-f", "4", "-g", "1", "-J", "out.json"],
       "env": [], "nccl_version": 21903,
       "config": {"nthreads": 1, "ngpus": 1, "minimum_bytes": 32, "maximum_bytes": 134217728,
                  "step_factor": 4, "warmup_iters": 5, "iterations": 20, "aggregated_iterations": 1,
                  "validation": 1, "graph": 0, "blocking_collectives": False, "parallel_init": False,
                  "devices": devices},
       "results": [{"size": m, "count": c, "type": "float", "redop": "sum", "root": "    -1",
                    "out_of_place": {"time": round(t, 2), "alg_bw": round(a, 2), "bus_bw": round(b, 2),
                                     "nwrong": 0.0},
                    "in_place": {"time": round(t * 1.01, 2), "alg_bw": round(a / 1.01, 2),
                                 "bus_bw": round(b / 1.01, 2), "nwrong": 0.0},
                    "actual_iterations": 20, "experiment_name": ""} for m, c, t, a, b in rows],
       "out_of_bounds": {"count": 0, "okay": True},
       "average_bus_bandwidth": {"bandwidth": 42.1, "okay": "unchecked"}, "errors": [],
       "end_time": "2026-12-01 10:00:05"}
with open("nccl-tests-all_reduce-2node.json", "w") as f:
    json.dump(doc, f, indent=1)

lat = "# OSU MPI Latency Test v7.3\n# Datatype: MPI_CHAR.\n# Size       Avg Latency(us)\n"
bw = "# OSU MPI Bandwidth Test v7.3\n# Datatype: MPI_CHAR.\n# Size      Bandwidth (MB/s)\n"
lat += f"{0:<10d}{0.45:>18.2f}\n"
m = 1
while m <= 4194304:
    lat += f"{m:<10d}{p2p(m) * 1e6:>18.2f}\n"
    bw += f"{m:<10d}{m / p2p(m) / 1e6:>18.2f}\n"
    m *= 2
with open("osu_latency.txt", "w") as f:
    f.write(lat)
with open("osu_bw.txt", "w") as f:
    f.write(bw)

ar = "# OSU MPI Allreduce Latency Test v7.3\n# Datatype: MPI_INT.\n# Size       Avg Latency(us)\n"
m = 4
while m <= 1048576:
    ar += f"{m:<10d}{2 * 3 * p2p(m / 4) * 1e6:>18.2f}\n"
    m *= 4
with open("osu_allreduce-4ranks.txt", "w") as f:
    f.write(ar)
