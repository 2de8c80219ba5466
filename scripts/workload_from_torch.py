#!/usr/bin/env python3
"""Write a commsim workload file (workloads/*.yaml, docs/train.md) from a PyTorch model.

Run by hand with PyTorch installed (pip install torch torchvision transformers); commsim's build
and tests never need it. Usage:

  python3 scripts/workload_from_torch.py resnet50 -o workloads/resnet50.yaml
  python3 scripts/workload_from_torch.py gpt2 --batch 8 --sequence 1024 -o workloads/gpt2.yaml

The model is built on PyTorch's meta device: shapes, FLOPs and the order of backward are real,
but no weights are allocated and nothing is computed, so Llama-2-7B costs no memory. FLOPs come
from PyTorch's own counter (torch.utils.flop_counter.FlopCounterMode): the forward pass is
counted whole, and during backward a post-accumulate-grad hook on every parameter records, when
that parameter's gradient is ready, how many backward FLOPs the counter has seen so far. So the
tensors are listed in the order their gradients actually become ready (what DDP rebuilds its
buckets from), and each tensor's backward_flops is the compute between the previous tensor's
gradient and its own (the backward of non-parameter ops included; 0 for tensors that become
ready together).
"""

import argparse
import sys

MODELS = {
    # name: (library, constructor, default batch, default sequence or None for images)
    "resnet50": ("torchvision", "resnet50", 32, None),
    "gpt2": ("transformers", "gpt2", 8, 1024),
    "bert-large": ("transformers", "bert-large", 8, 512),
    "gpt2-xl": ("transformers", "gpt2-xl", 1, 1024),
    "llama2-7b": ("transformers", "llama2-7b", 1, 4096),
}


def build(name):
    """The model on the meta device, from its config (no download, no weights)."""
    import torch

    with torch.device("meta"):
        if name == "resnet50":
            import torchvision

            return torchvision.models.resnet50()
        import transformers as tf
        import transformers.masking_utils as masking

        # Packed-sequence detection reads a tensor's value (.item()), which meta tensors lack;
        # the inputs here are one plain sequence per row, never packed.
        masking.find_packed_sequence_indices = lambda *args, **kwargs: None

        if name == "gpt2":
            cfg = tf.GPT2Config()  # the 124M defaults
            return tf.GPT2LMHeadModel(cfg)
        if name == "gpt2-xl":
            cfg = tf.GPT2Config(n_embd=1600, n_layer=48, n_head=25)
            return tf.GPT2LMHeadModel(cfg)
        if name == "bert-large":
            cfg = tf.BertConfig(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16,
                                intermediate_size=4096)
            return tf.BertForPreTraining(cfg)
        if name == "llama2-7b":
            cfg = tf.LlamaConfig()  # the defaults are Llama-2-7B's
            return tf.LlamaForCausalLM(cfg)
    raise SystemExit(f"unknown model {name!r} (allowed: {', '.join(MODELS)})")


def loss_of(name, model, batch, sequence):
    import torch

    if sequence is None:
        x = torch.randn(batch, 3, 224, 224, device="meta")
        return lambda: model(x).sum()
    ids = torch.zeros(batch, sequence, dtype=torch.long, device="meta")
    if name == "bert-large":
        def bert():
            out = model(input_ids=ids)
            return out.prediction_logits.sum() + out.seq_relationship_logits.sum()
        return bert
    return lambda: model(input_ids=ids).logits.sum()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("--batch", type=int)
    ap.add_argument("--sequence", type=int)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()

    import torch
    from torch.utils.flop_counter import FlopCounterMode

    library, _, batch, sequence = MODELS[a.model]
    batch = a.batch or batch
    if sequence is not None:
        sequence = a.sequence or sequence
    model = build(a.model)
    if hasattr(model, "config"):
        model.config.use_cache = False
        model.config._attn_implementation = "eager"  # plain matmuls, which the counter sees
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]  # unique: tied weights once
    names = {id(p): n for n, p in model.named_parameters()}

    loss = loss_of(a.model, model, batch, sequence)
    with FlopCounterMode(display=False) as fwd:
        value = loss()
    forward = fwd.get_total_flops()

    ready = []  # (name, elements, backward FLOPs counted when its gradient was ready)
    with FlopCounterMode(display=False) as bwd:
        for p in params:
            p.register_post_accumulate_grad_hook(
                lambda t: ready.append((names[id(t)], t.numel(), bwd.get_total_flops())))
        value.backward()
    total_backward = bwd.get_total_flops()
    if len(ready) != len(params):
        sys.exit(f"{len(params) - len(ready)} parameters got no gradient")

    versions = f"torch {torch.__version__}"
    if library == "transformers":
        import transformers
        versions += f", transformers {transformers.__version__}"
    else:
        import torchvision
        versions += f", torchvision {torchvision.__version__}"
    cmd = "python3 scripts/workload_from_torch.py " + " ".join(sys.argv[1:])
    n = sum(e for _, e, _ in ready)
    lines = [
        f"# {a.model}: {n} parameters in {len(ready)} tensors, in the order backward makes their",
        "# gradients ready. Written by",
        f"#   {cmd}",
        f"# with {versions}: the model built on the meta device from its",
        "# config (no weights), FLOPs from torch.utils.flop_counter.FlopCounterMode, the order from",
        "# post-accumulate-grad hooks (docs/train.md). backward_flops: the backward compute between",
        f"# the previous tensor's gradient and this one's. Backward in all: {total_backward:.6g} FLOPs",
        f"name: {a.model}",
        f"source: {library} {a.model}",
        "dtype: float32",
        f"batch: {batch}",
    ]
    if sequence is not None:
        lines.append(f"sequence: {sequence}")
    lines.append(f"forward_flops: {forward}")
    lines.append("tensors:")
    seen = 0
    for i, (name, elements, counted) in enumerate(ready):
        # Backward compute after the last gradient (none that matters: inputs need no gradient)
        # is added to the last tensor, so the file's total is the counter's.
        upto = total_backward if i == len(ready) - 1 else counted
        lines.append(f"  - {{name: {name}, elements: {elements}, backward_flops: {upto - seen}}}")
        seen = upto
    with open(a.output, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{a.output}: {n} parameters, {len(ready)} tensors, forward {forward:.4g} FLOPs, "
          f"backward {total_backward:.4g} FLOPs")


if __name__ == "__main__":
    main()
