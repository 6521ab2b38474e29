"""`sheetnet check`: grade a student's workbook cell by cell and name the root cause of each mistake.

checker — the judgement (local and end-to-end values, root causes, what each spoils);
local — the chapter-3 values a cell should hold; formulas — formula text → what it reads;
diagnose — mistakes in the student's terms; places — the layout read backwards;
package — manual calculation, macros, external links; report — text, JSON, JUnit;
annotate — a marked-up copy of the workbook; batch — many workbooks at once.
"""
