"""Between cells and arrays: load a workbook through its layout, compute every cell, build one."""
