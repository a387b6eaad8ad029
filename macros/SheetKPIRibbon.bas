Attribute VB_Name = "SheetKPIRibbon"
' Callbacks of the "SheetKPI" ribbon tab (customUI.xml). Each button runs one entry point of
' sheetkpi.excel through xlwings' RunPython; every message the user reads comes from Python.
Option Explicit

Sub Recalculate(control As IRibbonControl)
    RunPython "import sheetkpi.excel; sheetkpi.excel.recalculate()"
End Sub

Sub Validate(control As IRibbonControl)
    RunPython "import sheetkpi.excel; sheetkpi.excel.validate()"
End Sub

Sub ShowHelp(control As IRibbonControl)
    RunPython "import sheetkpi.excel; sheetkpi.excel.help()"
End Sub
