"""Side by side: one prompt on N models at once, each column streaming with its own figures.

    session = CompareSession(policy, policy_path, key_store=...)
    columns = [session.resolve(parse_column_spec("smollm2", policy)), ...]
    result = await SideBySide(columns, CompareParams(prompt="..."), recorder=...).run(on_event)

Each column calls its provider directly (one model, no fallback: a comparison wants *that*
model's answer) through ``routing.attempt.run_attempt``, so deadlines and output checks are the
same as routing's. Columns on the same local GGUF file share one llama.cpp worker and say so.
"""
