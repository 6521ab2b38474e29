"""The math of the book's networks: pure NumPy functions of arrays, no I/O."""
