"""Embedding maps: t-SNE of 5,000 phrase summaries (openTSNE against scikit-learn's TSNE), PCA, placing, quality.

On the shipped fra→eng translator (the tutorial's data) and the whole-corpus eng→fra one, all in one run:
- encoding 5,000 training phrases, the t-SNE map the first time (openTSNE) and from the cache, and
  scikit-learn's TSNE on the same vectors (the ratio is printed);
- PCA of the same vectors; placing one typed phrase including its encoding (median of 20);
- trustworthiness (k = 10, cosine) of the phrase maps and of the word maps (source and target rows),
  beside the trustworthiness of a t-SNE map of Gaussian random vectors of the same shape (what a map of
  vectors with no structure scores).

Targets (issue 11): t-SNE of 5,000 phrases <= 15 s on 2 cores the first time; placing <= 300 ms; PCA <= 100 ms;
trustworthiness >= 0.90 for the shipped translators' word and phrase maps.

    python bench/embeddings.py [--phrases 5000] [--words 1000] [--threads 2] [--skip-sklearn]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from rnnviz.embeddings import neighbours, phrases, projection, properties, vectors
from rnnviz.io.checkpoints import checkpoint_directory
from rnnviz.seq2seq.translator import Translator

MODELS = ("translate-fra-eng.safetensors", "translate-eng-fra-corpus.safetensors")
WORD_COMPONENTS = 50  # as the page's words map (ui/embeddings/words.py)
TYPED = {"fra": "je suis tres fatigue ce soir .", "eng": "i am very tired tonight ."}


def timed(function, *args, **kwargs) -> tuple[object, float]:
    """(result, seconds)."""
    began = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - began


def phrase_bench(translator: Translator, count: int, threads: int, sklearn: bool) -> None:
    """Encode, t-SNE (openTSNE, cache, scikit-learn), PCA, placing and trustworthiness on phrase summaries."""
    pairs = phrases.sample_pairs(phrases.training_pairs(translator.info), count)
    found, seconds = timed(vectors.phrase_vectors, translator, [source for source, _ in pairs])
    print(f"  encode {len(found):,} phrases: {seconds:.2f} s")
    projection.MAPS.__init__()  # a cold cache: the first time
    first, seconds_tsne = timed(projection.cached_map, found, "tsne", perplexity=30.0, seed=0, threads=threads)
    _, seconds_cached = timed(projection.cached_map, found, "tsne", perplexity=30.0, seed=0, threads=threads)
    print(f"  openTSNE t-SNE first time: {seconds_tsne:.2f} s (target <= 15 s); from the cache: "
          f"{1000 * seconds_cached:.2f} ms")  # fmt: skip
    if sklearn:
        from sklearn.manifold import TSNE

        _, seconds_sklearn = timed(TSNE(perplexity=30.0, metric="cosine", init="pca", random_state=0,
                                        n_jobs=threads).fit_transform, found)  # fmt: skip
        print(f"  scikit-learn TSNE: {seconds_sklearn:.2f} s; openTSNE / scikit-learn = "
              f"{seconds_tsne / seconds_sklearn:.2f}")  # fmt: skip
    pca_times = [timed(projection.pca_map, found)[1] for _ in range(5)]
    print(f"  PCA: {1000 * statistics.median(pca_times):.1f} ms (target <= 100 ms); "
          f"PCA / t-SNE = {statistics.median(pca_times) / seconds_tsne:.4f}")  # fmt: skip
    place_times = []
    for _ in range(20):
        began = time.perf_counter()
        projection.place(first, vectors.typed_phrase(translator, TYPED.get(translator.source_language, "a b")).vector)
        place_times.append(time.perf_counter() - began)
    print(f"  placing a typed phrase (encode + transform): {1000 * statistics.median(place_times):.0f} ms "
          f"median, {1000 * max(place_times):.0f} ms worst (target <= 300 ms)")  # fmt: skip
    sources, targets = [source for source, _ in pairs], [target for _, target in pairs]
    for name in properties.properties_for(translator.source_language):
        labels = properties.phrase_labels(sources, name, translator.source_language, targets)
        print(f"  {name}: k-NN agreement (k=10, full space) {neighbours.knn_agreement(found, labels):.2f}, "
              f"chance {neighbours.chance_agreement(labels):.2f}")  # fmt: skip
    print(f"  trustworthiness k=10: t-SNE {projection.trustworthiness(found, first):.3f}, "
          f"PCA {projection.trustworthiness(found, projection.pca_map(found)):.3f}")  # fmt: skip


def word_bench(translator: Translator, words: int, threads: int) -> None:
    """Trustworthiness of the word maps as the page draws them (top 50 components), rows as stored and trained part."""
    for side in vectors.SIDES:
        found = vectors.word_vectors(translator, side)[:words]
        correlation = found.start_correlation()
        variants = {"rows as stored": found.vectors}
        if found.start is not None:
            variants["trained part (row - random start)"] = found.trained_part().vectors
        random_rows = np.random.default_rng(0).standard_normal(found.vectors.shape)
        variants["Gaussian random vectors, same shape"] = random_rows
        start = "not rebuilt" if correlation is None else f"median correlation with the random start {correlation:.2f}"
        print(f"  {side} words ({len(found.words):,} most frequent, {found.vectors.shape[1]} dims; {start}):")
        for name, array in variants.items():
            tsne, seconds = timed(projection.tsne_map, array, threads=threads, components=WORD_COMPONENTS)
            raw = projection.tsne_map(array, threads=threads)
            pca = projection.trustworthiness(array, projection.pca_map(array))
            print(f"    {name}: trustworthiness {projection.trustworthiness(array, tsne):.3f} (t-SNE of the top "
                  f"{WORD_COMPONENTS} components, {seconds:.1f} s; of all dimensions "
                  f"{projection.trustworthiness(array, raw):.3f}; PCA {pca:.3f})")  # fmt: skip


def main() -> None:
    """Run every measurement on each shipped translator found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", type=int, default=5000)
    parser.add_argument("--words", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=projection.THREADS)
    parser.add_argument("--skip-sklearn", action="store_true")
    args = parser.parse_args()
    for name in MODELS:
        path = checkpoint_directory() / name
        if not path.is_file():
            print(f"{name}: not found, skipped")
            continue
        translator = Translator.load(path)
        print(f"{name} ({translator.source_language} → {translator.target_language}):")
        try:
            phrase_bench(translator, args.phrases, args.threads, not args.skip_sklearn)
        except projection.EmbeddingError as error:
            print(f"  phrases skipped: {error}")
        word_bench(translator, args.words, args.threads)


if __name__ == "__main__":
    main()
