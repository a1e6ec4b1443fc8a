"""Statistics: percentiles, confidence intervals and stopping rules, on plain numbers.

Owns the nearest-rank percentile definition, running moments, t/normal critical values,
the lag-1-corrected mean interval, order-statistic percentile intervals, Welch's difference
interval and the ``--until-stable`` rule. May import: ``results.types`` (the plain data
types it fills), numpy. Never OpenVINO.
"""
