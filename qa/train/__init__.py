"""Training through the Engine: the answer model (`qa fit`) and the reader (`qa train-reader`)."""
