"""sheetnet: the book's Excel workbooks mirrored in NumPy, cell by cell."""

__version__ = "0.1.0"
