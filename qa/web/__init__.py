"""The chat: its use case without Gradio, its words and HTML, the Gradio page, and what `qa serve` runs."""
