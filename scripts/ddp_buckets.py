#!/usr/bin/env python3
"""Compare commsim's buckets with PyTorch DDP's own, for a workload file and a bucket cap.

Runs DDP for real: 2 processes on CPU over gloo, a few iterations so DDP rebuilds its buckets in
the order gradients become ready (its steady state), then reads the buckets it logged
(_get_ddp_logging_data: rebuilt_per_bucket_param_indices, rebuilt_bucket_sizes) and sets them
beside the buckets `commsim predict --workload` forms from the workload file (SPEC §11). Exits 1
on any difference. Needs PyTorch (pip install torch torchvision transformers); run by hand,
never in CI (docs/train.md records the versions matched).

  python3 scripts/ddp_buckets.py --commsim build/commsim --workload workloads/resnet50.yaml \\
      --model resnet50 --bucket-mb 25
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile


def ddp_worker(rank, model_name, bucket_mb, port, out):
    import torch
    import torch.distributed as dist

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from workload_from_torch import build, loss_of, MODELS

    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    # Real (CPU) weights: DDP broadcasts and reduces them. Small inputs keep it quick; the
    # buckets depend on the parameters and the order of backward, not on the batch.
    model = build(model_name).to_empty(device="cpu")
    if hasattr(model, "config"):
        model.config.use_cache = False
        model.tie_weights()  # to_empty gives tied weights storage of their own: tie them again
    ddp = torch.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=bucket_mb)
    _, _, _, sequence = MODELS[model_name]
    step = loss_of(model_name, ddp, 2, None if sequence is None else 16)
    if sequence is None:
        x = torch.randn(2, 3, 64, 64)
        step = lambda: ddp(x).sum()  # noqa: E731
    for _ in range(3):
        step().backward()
    data = ddp._get_ddp_logging_data()
    if rank == 0:
        names = [n for n, p in model.named_parameters() if p.requires_grad]
        buckets = [[names[int(i)] for i in b.split()]
                   for b in data["rebuilt_per_bucket_param_indices"].split(",")]
        sizes = [int(s) for s in data["rebuilt_bucket_sizes"].split(",")]
        with open(out, "w") as f:
            json.dump({"torch": torch.__version__, "buckets": buckets, "sizes": sizes}, f)
    dist.destroy_process_group()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commsim", default="build/commsim")
    ap.add_argument("--workload", required=True)
    ap.add_argument("--model", required=True, help="a model of scripts/workload_from_torch.py")
    ap.add_argument("--bucket-mb", type=int, default=25)
    ap.add_argument("--port", type=int, default=29533)
    a = ap.parse_args()

    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ddp.json")
        mp.spawn(ddp_worker, args=(a.model, a.bucket_mb, a.port, out), nprocs=2)
        with open(out) as f:
            ddp = json.load(f)
    cap = a.bucket_mb * 1024 * 1024
    here = os.path.dirname(os.path.abspath(__file__))
    topo = os.path.join(here, "..", "topologies", "dgx-h100.yaml")
    doc = json.loads(subprocess.run(
        [a.commsim, "predict", "--workload", a.workload, "--topology", topo, "-n", "2",
         "--algorithm", "ring-allreduce", "--bucket", str(cap), "--format", "json"],
        check=True, capture_output=True, text=True).stdout)
    ours = [(b["first_tensor"], b["last_tensor"], b["tensors"], b["bytes"]) for b in doc["buckets"]]
    theirs = [(b[0], b[-1], len(b), s) for b, s in zip(ddp["buckets"], ddp["sizes"])]
    print(f"torch {ddp['torch']}, bucket_cap_mb={a.bucket_mb}: DDP {len(theirs)} buckets, "
          f"commsim {len(ours)}")
    same = True
    for i in range(max(len(ours), len(theirs))):
        o = ours[i] if i < len(ours) else None
        t = theirs[i] if i < len(theirs) else None
        mark = "=" if o == t else "DIFFERENT"
        same = same and o == t
        print(f"  bucket {i}: DDP {t}  commsim {o}  {mark}")
    print("same buckets" if same else "buckets differ")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
