"""Statistics: percentiles, confidence intervals and stopping rules, on plain numbers.

Owns the nearest-rank percentile definition, running moments, t/normal critical values,
the lag-1-corrected mean interval, order-statistic percentile intervals and the
``--until-stable`` rule.  Welch's test of BASE against NEW and step detection in a
history are tracking's (``tracking.verdict``, ``tracking.history``): they decide
regressions, which statistics on plain numbers do not. May import: ``results.types`` (the plain data
types it fills), numpy. Never OpenVINO.
"""
