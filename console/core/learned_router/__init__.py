"""The learned router: from graded history, a model that orders a route's candidates per prompt.

``graded`` gathers who passed what; ``training`` chooses and fits a learner and calibrates it;
``evaluation`` measures it on prompts it did not see; ``router_file`` saves and loads it;
``in_plan`` applies it to a plan. Front ends reach it through ``console.core.app.router``.
"""
