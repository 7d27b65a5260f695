"""What the words and phrases maps share: projection controls, t-SNE in the background with PCA meanwhile, downloads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import streamlit as st

from rnnviz.embeddings import export
from rnnviz.embeddings.projection import EmbeddingError, Map, map_key, requested_map, trustworthiness
from rnnviz.embeddings.shipped import COMMAND as SHIPPED_COMMAND
from rnnviz.embeddings.shipped import shipped_map
from ui.links import BIND
from ui.markdown import escape

PROJECTIONS = {"t-SNE (openTSNE)": "tsne", "PCA (instant)": "pca"}
POLL_SECONDS = 1.5


@dataclass(frozen=True)
class Projection:
    """The person's projection settings."""

    method: str  # "tsne" or "pca"
    perplexity: float


def projection_controls(prefix: str) -> Projection:
    """Projection and perplexity, side by side."""
    left, right = st.columns(2)
    label = left.radio("Projection", list(PROJECTIONS), key=f"{prefix}:projection", horizontal=True, bind=BIND,
                       help="PCA is instant and is t-SNE's starting layout; t-SNE keeps neighbours together.")  # fmt: skip
    perplexity = right.number_input("t-SNE perplexity (about how many neighbours each point keeps close)",
                                    min_value=1.0, max_value=500.0, value=30.0, step=5.0, key=f"{prefix}:perplexity",
                                    disabled=PROJECTIONS[label] == "pca", bind=BIND)  # fmt: skip
    return Projection(PROJECTIONS[label], float(perplexity))


@st.fragment(run_every=POLL_SECONDS)
def _wait_for(key: tuple) -> None:
    """Rerun the page once the background t-SNE is ready (this fragment only exists while it is not)."""
    from rnnviz.embeddings.projection import MAPS

    if MAPS.peek(key) is not None or not MAPS.pending(key):
        st.rerun()


def current_map(vectors: np.ndarray, projection: Projection, seed: int, components: int | None = None,
                steps: Mapping[str, int] | None = None) -> Map | None:  # fmt: skip
    """The map to draw: t-SNE when ready, PCA meanwhile (with a note); None with a message if impossible.

    `components`: t-SNE reads the top principal components only; `steps`: its iteration counts
    (see `rnnviz.embeddings.projection.tsne_map`)."""
    try:
        if projection.method == "pca":
            return requested_map(vectors, "pca")
        settings = {"perplexity": projection.perplexity, "seed": seed}
        if components is not None:
            settings["components"] = components
        settings.update(steps or {})
        ready = shipped_map(vectors, settings) or requested_map(vectors, "tsne", **settings)
        if ready is not None:
            return ready
        st.info(f"t-SNE of {len(vectors):,} points is being computed on this server (a few seconds to half a "
                "minute, once: every session then shares it). Meanwhile this is the PCA map; the t-SNE map "
                "replaces it by itself.", icon=":material/hourglass_top:")  # fmt: skip
        _wait_for(map_key(vectors, "tsne", **settings))
        return requested_map(vectors, "pca")
    except EmbeddingError as error:
        st.warning(escape(str(error)), icon=":material/warning:")
        return None


@st.cache_data(max_entries=64, show_spinner=False)
def _trust(key: tuple, _vectors: np.ndarray, _map: Map) -> float:
    """Trustworthiness (k = 10, cosine) of a map, once per map."""
    return trustworthiness(_vectors, _map)


def quality_caption(vectors: np.ndarray, shown: Map) -> None:
    """How faithful the map is, and the warning that it distorts distances."""
    key = (map_key(vectors, shown.method, **shown.settings),)
    value = shown.quality if shown.quality is not None else _trust(key, vectors, shown) if len(vectors) <= 5000 \
        else None  # fmt: skip
    trust = f"trustworthiness {value:.2f} (k = 10; 1 = every neighbour on the map is a neighbour in the full space). " \
        if value is not None else ""  # fmt: skip
    made = f"precomputed (shipped with the app: `{SHIPPED_COMMAND}` rebuilds it), {shown.seconds:.1f} s to compute" \
        if shown.shipped else f"{shown.seconds:.1f} s to compute"  # fmt: skip
    st.caption(f"{'t-SNE' if shown.method == 'tsne' else 'PCA'} map of {len(vectors):,} points, {made}; {trust}"
               "**The map distorts distances**: t-SNE keeps neighbourhoods, not distances or cluster sizes, so "
               "neighbours and similarities on this page are measured in the full space, never on the map. Drag a "
               "rectangle to zoom into a region (as Cho et al.'s Figure 4 does); double-click to zoom out.")  # fmt: skip


def downloads(prefix: str, vectors: np.ndarray, shown: Map, columns: Mapping[str, Sequence[object]]) -> None:
    """vectors.tsv and metadata.tsv for projector.tensorflow.org, and the 2-D coordinates as CSV."""
    st.markdown("**Take it elsewhere**: load the two TSV files into the Embedding Projector "
                "(projector.tensorflow.org, Load), or the coordinates into any plotting tool.")  # fmt: skip
    coordinates = np.array(shown.coordinates)
    files = (
        ("vectors.tsv", partial(export.vectors_tsv, vectors), "text/tab-separated-values"),
        ("metadata.tsv", partial(export.metadata_tsv, columns), "text/tab-separated-values"),
        (f"{shown.method}-coordinates.csv", partial(export.coordinates_csv, coordinates, columns), "text/csv"),
    )
    for column, (name, make, mime) in zip(st.columns(3), files):  # made only when clicked
        column.download_button(name, make, file_name=name, mime=mime, key=f"{prefix}:{name.split('-')[-1]}",
                               on_click="ignore", icon=":material/download:")  # fmt: skip
