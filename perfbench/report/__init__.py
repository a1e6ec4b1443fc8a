"""The offline HTML report: every kind of perfbench result drawn in one self-contained page.

``loader`` recognises each input (run results, shapes, sweeps, A/B runs, fleet reports and
directories, history databases, suites), one module per view turns a document into a
section of charts and tables, and ``page`` assembles them with the charting library's
script inlined once.  Views only read documents: every figure shown is one a result, the
statistics modules or the sizing modules already define.  Plotly is the optional
``perfbench[report]`` extra (:func:`perfbench.report.html.require_plotly`).
"""
