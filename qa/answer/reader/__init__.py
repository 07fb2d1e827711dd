"""The reader: e5-small fine-tuned to read the question with each candidate window and say which answers, where, how surely."""
