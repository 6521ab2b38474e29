"""How the embedded "trained" parameter set is made: Solver's job done by `engine.training.solve`
from the book's initial values (C_T ≈ 3.8e-09, 64/64 right, 13 iterations).

It is solved once and shipped as numbers so that `sheetnet answer` writes the same bytes on every
machine (a LAPACK build can move an optimizer's last bits) and does not pay for a solve.
tests/test_answer.py solves it again and compares. To make it again:

    python3 -m sheetnet.data.trained      # re-solves and rewrites the set in chapter3.json
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from sheetnet.engine.network import Network


def solve_from_initial() -> Network:
    from sheetnet.data import chapter3_images, chapter3_params
    from sheetnet.engine.training import solve

    images, digits = chapter3_images()
    t = (digits[:, None] == np.array([0, 1])[None, :]).astype(float)
    return solve(chapter3_params("initial"), images.reshape(len(images), -1), t).net


def book_form(net: Network) -> dict:
    """A Network → the book's shapes, as chapter3.json stores parameter sets (inverse of network_from_book)."""
    return {
        "hidden_w": net.W[2].reshape(-1, 4, 3).tolist(),
        "hidden_b": net.b[2].tolist(),
        "output_w": net.W[3].tolist(),
        "output_b": net.b[3].tolist(),
    }


def main() -> None:
    from sheetnet.outputs import write_text

    path = resources.files("sheetnet.data").joinpath("chapter3.json")
    doc = json.loads(path.read_text("utf-8"))
    doc["params"]["trained"] = book_form(solve_from_initial())
    with resources.as_file(path) as file:
        write_text(file, json.dumps(doc, indent=1, ensure_ascii=False))  # atomic, like every output
    print(f"wrote the trained set into {file}")


if __name__ == "__main__":
    main()
