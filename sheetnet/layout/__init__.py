"""Where each quantity lives in a kind of workbook: declarative descriptions, and the arithmetic on them."""
