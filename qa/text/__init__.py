"""Text: Vietnamese normalisation and folding, sentence splitting, the glossary and the shared vocabulary."""
