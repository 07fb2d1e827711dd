"""Training: the answer model (`qa fit`) and the reader (`qa train-reader`), fitted on question sets through the Engine."""
