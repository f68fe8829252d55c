"""Pilots: run the current model and a cheaper candidate on real history against a bar set up front.

    bar = load_bar("bar.yaml")                         # assertions, optional judge, pass-rate rule
    cases = cases_from_imported(db, "gsm8k")           # or cases_from_dataset / cases_from_log
    run = PilotRunner(db, cases, baseline, [candidate], bar, caller=..., task="math")
    report = await run.run(progress)                   # resumable: finished cells are skipped
    verdict = decide(report, bar, monthly_requests=...)
"""
