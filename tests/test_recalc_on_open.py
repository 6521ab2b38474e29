"""`train` marks a workbook for a full recalculation on open by patching workbook.xml's calcPr in place."""

import pytest

from sheetnet.xlsx.patch import full_calc_on_load

W = '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


@pytest.mark.parametrize("xml, want", [
    (W + '<sheets/><calcPr calcId="124519"/></workbook>', W + '<sheets/><calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>'),
    (W + '<sheets/><calcPr fullCalcOnLoad="0" calcMode="manual"></calcPr></workbook>',
     W + '<sheets/><calcPr calcMode="manual" fullCalcOnLoad="1"></calcPr></workbook>'),
    (W + '<sheets/><definedNames/><extLst/></workbook>', W + '<sheets/><definedNames/><calcPr fullCalcOnLoad="1"/><extLst/></workbook>'),
    (W + '<sheets/></workbook>', W + '<sheets/><calcPr fullCalcOnLoad="1"/></workbook>'),
    ('<x:workbook xmlns:x="m"><x:sheets/><x:oleSize ref="A1"/></x:workbook>',
     '<x:workbook xmlns:x="m"><x:sheets/><x:calcPr fullCalcOnLoad="1"/><x:oleSize ref="A1"/></x:workbook>'),
])
def test_full_calc_on_load_is_set_where_the_schema_puts_it(xml, want):
    assert full_calc_on_load(xml) == want
