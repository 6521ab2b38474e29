"""Spreadsheet formulas as students write them: parsed, grouped into families, evaluated over arrays.

    syntax    text → tokens (openpyxl's tokenizer) → a tree, the references it reads, the family key
    values    a spreadsheet value for many cells at once: numbers, text, booleans, blanks, error values
    functions the functions sheetnet evaluates (the book's dialect and what students use beside it)
    evaluate  a tree evaluated at many cells at once (a family: every image, every block)
    grid      a sheet's cells as arrays, the defined names, the workbook an evaluation reads
    family    cells holding the same formula in relative (R1C1) form: one family, one evaluation
    recalc    a workbook saved without values, calculated family by family in dependency order

Why our own evaluator and not a library. Two packages evaluate Excel formulas in Python:
- `pycel` compiles each formula into Python source and runs it with eval(); a crafted workbook can
  run code that way (dgorissen/pycel#165, CVE-2024-53924). Student workbooks are untrusted input:
  sheetnet evaluates a tree of a fixed set of functions and never runs anything from the file.
- `formulas` (schedula) interprets every cell as its own node of a dispatch graph, one Python call per
  cell: 4.9 s to load and calculate the book's 1,900-formula workbook (issue 14), and it pulls in a
  large dependency tree at start-up. The checker evaluates a formula once for all its cells — 64 images,
  50 iteration blocks — as NumPy arrays; that is what makes grading 240,000 cells take well under a second.
Neither evaluates a *family* (one formula filled across) as one vectorized computation, which is also
what comparing a student's formula with the book's on probe values needs. So the parsing is borrowed
(openpyxl's tokenizer, loaded without the rest of openpyxl) and the evaluation is written here, for the
subset in `functions.FUNCTIONS`; anything else (an unknown function, a link outside the workbook) is
never evaluated: it is reported as what it is.
"""
