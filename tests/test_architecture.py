"""The code's shape: no module reads another module's private names; one definition per behaviour.

A private name (``_x``) belongs to the module or class that defines it. These checks parse every
module of the packages and scripts (``ast``, nothing is imported) and list each place that
reaches into someone else's: ``obj._x`` on anything but ``self``/``cls`` (namedtuple's public
``_replace``/``_fields``/``_asdict`` excepted) and ``from module import _x``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(p for d in ("sim", "agents", "scripts") for p in (ROOT / d).rglob("*.py"))
#: Underscore names that are public API of the standard library's types.
PUBLIC_UNDERSCORE = {"_replace", "_fields", "_asdict", "_make", "_field_defaults"}


def private_reads(path: Path, root: Path = ROOT) -> list[str]:
    """``file:line name`` of every read of another object's or module's private name in ``path``
    (``file`` relative to ``root``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            if node.attr in PUBLIC_UNDERSCORE:
                continue
            found.append(f"{path.relative_to(root)}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.ImportFrom):
            found += [f"{path.relative_to(root)}:{node.lineno} import {a.name}" for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_sources_are_found():
    assert len(SOURCES) > 40 and ROOT / "sim" / "plant.py" in SOURCES


def test_no_module_reads_another_modules_private_names():
    reads = [r for p in SOURCES for r in private_reads(p)]
    assert not reads, "private names read across modules:\n" + "\n".join(reads)


def test_the_checker_finds_a_private_read(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from sim.config import _hidden\nx = plant._state\ny = self._own\nz = t._replace(a=1)\n")
    assert [r.split(" ", 1)[1] for r in private_reads(probe, tmp_path)] == ["import _hidden", "._state"]


@pytest.mark.parametrize("module", ["sim/batch.py", "sim/plant.py"])
def test_plants_share_the_process_bodies(module):
    # The SimPy plant and the batched plant run the compiled process bodies of sim.events; neither
    # defines its own crane, mixing, CEMS, soot-blowing or scenario-event code.
    text = (ROOT / module).read_text(encoding="utf-8")
    for body in ("def _crane", "def _mixing", "def _cems", "def _soot", "def _drop_grab", "def _scenario"):
        assert body not in text, f"{module} defines {body[4:]}: process bodies live in sim/events.py"
