"""Ship a trained, evaluated policy as the controller ``learned`` (``scripts/ship_policy.py``).

:func:`ship` copies into the destination folder (default ``agents/policies/learned/``, what
``agents.learned`` loads):

* ``model.zip`` and ``model.json``: the model that ``scripts/evaluate.py runs/NAME`` evaluated
  (``runs/NAME/evaluation/acceptance.json`` names it) and its policy card;
* ``config.yaml``: the run's training config (``scripts/train.py --config`` repeats the run);
* ``training_curve.png`` and ``evaluations.csv``: how it trained and how the model was chosen;
* ``acceptance.json`` / ``acceptance.md``: its figures against ``rule_based`` on the test seeds;
* ``README.md``: where it came from and what it scored, written from the above.

The policy is shipped whether or not it passed the acceptance bar; the README says which. The
folder is built next to the destination and swapped in by renames, so a failed copy leaves the
shipped policy as it was. Errors (no evaluation, an evaluation of another model) name what to run.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

#: The repository (paths in acceptance.json are relative to it).
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / "agents" / "policies" / "learned"
#: Run-folder files copied as they are, when present.
COPIED = ("config.yaml", "training_curve.png", "evaluations.csv")


def evaluated_model(run: Path) -> tuple[Path, dict]:
    """The model ``scripts/evaluate.py`` evaluated in ``run`` and its acceptance record."""
    acc_path = run / "evaluation" / "acceptance.json"
    if not acc_path.is_file():
        raise FileNotFoundError(f"{acc_path} is missing: run python scripts/evaluate.py {run} first")
    acc = json.loads(acc_path.read_text(encoding="utf-8"))
    if acc.get("seeds") != "test":
        raise ValueError(f"{acc_path} is not a test-seed evaluation (seeds {acc.get('seeds')!r}): run "
                         f"python scripts/evaluate.py {run} --model MODEL")
    model = Path(acc["model"])
    model = model if model.is_absolute() else ROOT / model
    if run.resolve() not in model.resolve().parents or not model.is_file():
        raise ValueError(f"{acc_path} evaluated {acc['model']}, not a model of {run}: run "
                         f"python scripts/evaluate.py {run} again")
    return model, acc


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it."""
    return str(path.relative_to(ROOT)) if ROOT in path.resolve().parents else str(path)


def readme(dest: Path, model: Path, acc: dict, card: dict, acceptance_md: str) -> str:
    """The README of the policy shipped into ``dest``: origin, verdict, figures, how to repeat it."""
    verdict = "passed" if acc["passed"] else "did **not** pass"
    failed = [k for k, ok in acc["checks"].items() if not ok]
    lines = [
        "# The shipped learned controller (`--controller learned`)", "",
        f"Trained with `python scripts/train.py --config {_shown(dest)}/config.yaml --out runs/NAME` (the run's "
        f"config, copied here) on "
        f"`{card['env']['id']}`; this model is `{_shown(model)}`, {card['num_timesteps']:,} environment steps.", "",
        f"On the benchmark's test seeds it {verdict} the acceptance bar against `rule_based`"
        + (f" (failed: {', '.join(failed)})." if failed else "."), "",
        "Evaluate it again with `python scripts/benchmark.py --controllers rule_based,learned --seeds test "
        "--out DIR`. The files: `model.zip` (SB3; loaded without unpickling, see `agents/sb3.py`), "
        "`model.json` (policy card: env setup, deployment limits, observation normalisation), "
        "`training_curve.png`, `evaluations.csv` (held-out evaluations during training), "
        "`acceptance.json`.", "",
        acceptance_md.split("\n", 1)[1].strip(), ""]
    return "\n".join(lines)


def ship(run: Path, dest: Path = DEFAULT_DEST) -> Path:
    """Ship the model evaluated in ``run`` into ``dest`` (see the module docstring); returns ``dest``."""
    model, acc = evaluated_model(run)
    card = json.loads(model.with_suffix(".json").read_text(encoding="utf-8"))
    acceptance_md = (run / "evaluation" / "acceptance.md").read_text(encoding="utf-8")
    dest.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    build.chmod(0o755)  # a package folder, readable like the rest
    try:
        shutil.copyfile(model, build / "model.zip")
        shutil.copyfile(model.with_suffix(".json"), build / "model.json")
        for name in COPIED:
            if (run / name).is_file():
                shutil.copyfile(run / name, build / name)
        for name in ("acceptance.json", "acceptance.md"):
            shutil.copyfile(run / "evaluation" / name, build / name)
        (build / "README.md").write_text(readme(dest, model, acc, card, acceptance_md), encoding="utf-8")
        old = dest.with_name(f".{dest.name}.old")
        if dest.exists():
            dest.rename(old)
        build.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return dest
