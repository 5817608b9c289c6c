"""Cloud escalation: the Gemini Live client (`client`), its session lifecycle, the tools it
answers from the catalog, the token budget, and a local Live simulator (`sim`)."""
