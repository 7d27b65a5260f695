"""Embeddings: maps (PCA, t-SNE) of learned word vectors, phrase summaries and hidden states.

`vectors` collects vectors from a model (embedding rows, the encoder's summary of phrases,
a character model's hidden states); `projection` maps them to 2-D with a per-server cache and
places new points into a finished map without moving the others (openTSNE's `transform`);
`neighbours` finds nearest neighbours by cosine in the full space and measures whether a
property groups (k-nearest-neighbour agreement against chance); `properties` labels words and
phrases; `export` writes the Embedding Projector's TSV files and CSV coordinates.
"""

from rnnviz.embeddings.neighbours import chance_agreement, knn_agreement, nearest
from rnnviz.embeddings.placing import place
from rnnviz.embeddings.projection import EmbeddingError, Map, pca_map, tsne_map

__all__ = ["EmbeddingError", "Map", "chance_agreement", "knn_agreement", "nearest", "pca_map", "place", "tsne_map"]
