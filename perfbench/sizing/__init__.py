"""Sizing: sweeps over streams × batch × requests × hint × … and the server rate search.

Owns the grid and its pure rules (early cut-off, Pareto frontier, recommendations,
machines needed), the sweep spec from flags and profiles, the sweep runner (budget,
resume) and the rate search. May import: ``runner``, ``settings``, ``results``, ``stats``.
"""
