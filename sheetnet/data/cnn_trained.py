"""How the embedded chapter-5 "trained" parameter set is made: Solver's job done by
`engine.cnn_training.solve` from the book's initial values, stopped at its default target
C_T ≤ CNN_SOLVE_TARGET (C_T ≈ 0.0044, 96/96 right, 6 iterations, weights ≤ ≈ 9.1).

Shipped as numbers for the same reasons as chapter 3's set (sheetnet/data/trained.py): the same
bytes on every machine, and no solve to write an answer workbook. tests/test_cnn.py
solves it again and compares. To make it again:

    python3 -m sheetnet.data.cnn_trained      # re-solves and rewrites the set in chapter5.json
"""

from __future__ import annotations

import json
from importlib import resources

from sheetnet.engine.cnn import CNN


def solve_from_initial() -> CNN:
    from sheetnet.data.chapter5 import chapter5_images, chapter5_params
    from sheetnet.engine.cnn import teacher
    from sheetnet.engine.cnn_training import solve

    images, digits = chapter5_images()
    return solve(chapter5_params("initial"), images, teacher(digits)).net


def book_form(net: CNN) -> dict:
    """A CNN → the book's shapes, as chapter5.json stores parameter sets (inverse of cnn_from_book)."""
    return {name: getattr(net, name).tolist() for name in CNN.FIELDS}


def main() -> None:
    from sheetnet.outputs import write_text

    path = resources.files("sheetnet.data").joinpath("chapter5.json")
    doc = json.loads(path.read_text("utf-8"))
    doc["params"]["trained"] = book_form(solve_from_initial())
    with resources.as_file(path) as file:
        write_text(file, json.dumps(doc, indent=1, ensure_ascii=False) + "\n")  # atomic, like every output
    print(f"wrote the trained set into {file}")


if __name__ == "__main__":
    main()
