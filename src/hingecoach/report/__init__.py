"""Reports on the progress database: the HTML session report and its plots.

``build.build_report`` renders one session; ``plots`` draws with matplotlib (imported only
when a report is built); ``labels`` has the words for fault ids.
"""
