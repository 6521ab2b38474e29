"""Reading and writing .xlsx files: cells in, cells out. Knows nothing of networks."""
