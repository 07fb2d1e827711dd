"""Answering: the question analysed once, candidates and features, the fitted scorer, summaries, follow-ups, the reader."""
