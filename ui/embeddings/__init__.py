"""The Embeddings page: maps of a translator's learned words and phrases, a typed phrase placed in the map."""
