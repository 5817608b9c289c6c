"""The agent: intent, routing cascade, local answers and the turn pipeline."""
