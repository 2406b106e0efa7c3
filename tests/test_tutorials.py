"""Every tutorial in docs/tutorials runs from top to bottom without a cell error.

Each tutorial is a jupytext "percent" script; the test converts it to a notebook and executes it with
nbclient in a fresh IPython kernel (ipykernel run by this interpreter), in docs/tutorials, with one
thread and the Agg backend.  The kernel gets this process's environment, with the source tree of the matnn being
tested first on PYTHONPATH, so it imports the same matnn as the tests.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

import matnn

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "docs" / "tutorials"
NOTEBOOKS = sorted(p.name for p in TUTORIALS.glob("[0-9][0-9]_*.py"))


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(matnn.__file__).resolve().parents[1])  # the matnn under test (editable install or PYTHONPATH)
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    env["MATNN_NUM_THREADS"] = "1"
    env["MATNN_PROGRESS"] = "0"
    env["MPLBACKEND"] = "Agg"
    return env


def _kernel_manager(tmp_path: Path):
    """A kernel manager that starts ipykernel with this interpreter (never a python3 spec found elsewhere)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    spec_dir = tmp_path / "kernels" / "matnn-tutorials"
    spec_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": "matnn tutorials", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    ksm = KernelSpecManager(kernel_dirs=[str(spec_dir.parent)], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name="matnn-tutorials", kernel_spec_manager=ksm)


def test_tutorials_are_found() -> None:
    assert len(NOTEBOOKS) >= 6, NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_tutorial_executes(name: str, tmp_path: Path) -> None:
    jupytext = pytest.importorskip(
        "jupytext", reason="jupytext is needed to run the tutorials (pip install 'matnn[test]')"
    )
    nbclient = pytest.importorskip(
        "nbclient", reason="nbclient is needed to run the tutorials (pip install 'matnn[test]')"
    )

    nb = jupytext.read(TUTORIALS / name)
    assert any(c.cell_type == "markdown" and "Exercise" in c.source for c in nb.cells), f"{name} has no Exercise"
    assert any(c.cell_type == "markdown" and "Solution" in c.source for c in nb.cells), f"{name} has no Solution"
    client = nbclient.NotebookClient(
        nb,
        km=_kernel_manager(tmp_path),
        timeout=300,
        allow_errors=False,
        resources={"metadata": {"path": str(TUTORIALS)}},  # the kernel's working directory
    )
    t0 = time.perf_counter()
    client.execute(env=_kernel_env())  # a cell error raises CellExecutionError naming the cell
    print(f"{name}: {time.perf_counter() - t0:.1f} s")
