"""The LLM style-imitation benchmark (`writing7 bench-style`).

An LLM (OpenAI-compatible endpoint or the offline SmolLM2) writes passages imitating chosen authors;
the trained matcher scores them against the authors' real held-out text and against other authors,
next to a neutral (un-prompted) generation and real control passages. Entry point:
:func:`writing7.stages.bench_style.run` (the stage: config, corpus, report files); measures: :mod:`writing7.bench_style.measures`.
"""
