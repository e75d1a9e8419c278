"""Text preparation: what exactly an engine is asked to say, and the pauses between."""
