"""Copy a running LAWM/C-LAP run folder the moment its checkpoint holds the world model after STEP model steps,
as a run folder whose model phase ends there (model_steps=STEP): probes branch from it with model_from.
The model of a run is the same at step STEP whatever its planned model_steps (no schedule depends on it)."""
import json, shutil, sys, time
from pathlib import Path
import torch

run, step, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
while True:
    time.sleep(15)
    try:
        state = torch.load(run / "checkpoint.pt", map_location="cpu", weights_only=False)
    except Exception:
        continue
    if state["step"] == step:
        break
    if state["step"] > step:
        sys.exit(f"missed step {step}: checkpoint at {state['step']}")
out.mkdir(parents=True)
torch.save(state, out / "checkpoint.pt")
config = json.loads((run / "config.json").read_text())
config["model_steps"] = step
(out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
lines = [l for l in (run / "metrics.jsonl").read_text().splitlines() if json.loads(l)["step"] <= step]
(out / "metrics.jsonl").write_text("".join(l + "\n" for l in lines))
print(f"kept {run} at step {step} in {out}")
