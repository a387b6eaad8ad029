Attribute VB_Name = "RibbonMyAddin"
' Callbacks of the "SheetKPI" ribbon tab (customUI.xml). Each button runs one entry point of
' sheetkpi.excel through xlwings' RunPython; every message the user reads comes from Python.
' The module keeps the name it has in xlwings' add-in template, whose project build_addin.py patches
' in place (renaming it would mean rewriting the project's dir stream). 'control' is optional so that
' Application.Run can call a button's macro too (tests/test_excel_acceptance.py does).
Option Explicit

Sub Recalculate(Optional control As IRibbonControl)
    RunPython "import sheetkpi.excel; sheetkpi.excel.recalculate()"
End Sub

Sub Validate(Optional control As IRibbonControl)
    RunPython "import sheetkpi.excel; sheetkpi.excel.validate()"
End Sub

Sub ShowHelp(Optional control As IRibbonControl)
    RunPython "import sheetkpi.excel; sheetkpi.excel.help()"
End Sub
