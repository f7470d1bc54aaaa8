"""Reports: plots of kinetics (``report.plots``), tables and HTML/Markdown summaries.

Submodules import matplotlib lazily; importing this package imports nothing heavy.
"""
