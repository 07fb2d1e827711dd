"""The reader: e5-small fine-tuned to read the question with candidate windows: which answers, where, how surely."""
