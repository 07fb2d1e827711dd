"""Answering: the question analysed once, candidates and their features, the fitted scorer, the short answer, summaries, follow-ups, the reader."""
