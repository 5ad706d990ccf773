"""CI performance gates (pytest-benchmark suites). Each gate times our code path and a reference
computation interleaved in the same run and checks their ratio, so a slower or busier machine
does not flip it. ``TILIKBENCH_INJECT_SLOWDOWN=2`` (or ``--inject-slowdown 2``) makes our side
deliberately twice as slow, which every gate must catch."""
