"""The Translate and attend page's sections (translate, compare, train live, phrase scoring), as functions."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import streamlit as st

from rnnviz.io.checkpoints import CheckpointError, checkpoint_directory
from rnnviz.plots.attention import top_words_rows
from rnnviz.seq2seq.attention import ATTENTION_KINDS, ATTENTION_LABELS, end_marker_share
from rnnviz.seq2seq.translator import DirectionError, Translator, language_name, list_translators
from ui import charts, sidebar
from ui.links import BIND, projector_on
from ui.markdown import escape
from ui.translate import cached, upload
from ui.translate.paper import paper_rows, paper_tables
from ui.translate.train import DIRECTIONS, EXAMPLES, TRAINED_KEY


@st.cache_resource(show_spinner="Opening the checkpoint…")
def open_checkpoint(path: str, modified: float) -> Translator:
    """A committed checkpoint, shared by every session (read-only: decoding never changes it)."""
    return Translator.load(path)


@st.cache_data(ttl=60)
def _listed(directory: str) -> tuple[list, list[str]]:
    """The translation checkpoints in `directory` and one message per problem, cached per folder."""
    return list_translators(directory)


def checkpoint_list() -> tuple[list, list[str]]:
    """The translation checkpoints shipped with the app (in the checkpoint folder) and its problems."""
    return _listed(str(checkpoint_directory()))


def show_checkpoint_problems() -> None:
    """A warning for a missing checkpoint folder or a checkpoint file that cannot be opened."""
    for message in checkpoint_list()[1]:
        st.warning(escape(message), icon=":material/warning:")


def models_for(source: str, target: str) -> dict[str, object]:
    """label -> checkpoint info (or a session-trained Translator) for a direction."""
    choices: dict[str, object] = {}
    trained = st.session_state.get(TRAINED_KEY)
    if isinstance(trained, Translator) and (trained.source_language, trained.target_language) == (source, target):
        choices[f"trained on this page: {trained.model.attention_kind} attention"] = trained
    return {**choices, **shipped_for(source, target)}


def shipped_for(source: str, target: str) -> dict[str, object]:
    """label -> checkpoint info of the shipped models for a direction, in menu order."""
    found, _broken = checkpoint_list()
    ordered = sorted(found, key=lambda c: ("small" in c.path.name, "corpus" in c.path.name, c.path.name))
    return {item.label: item for item in ordered if (item.source, item.target) == (source, target)}


def small_models() -> dict[str, object]:
    """attention kind -> the small French -> English checkpoint of the Compare tab."""
    found, _ = checkpoint_list()
    return {item.attention: item for item in found if item.path.name.endswith("-small.safetensors")}


def compare_options(projected: bool) -> dict[str, int]:
    """The Compare tab's map size: three quarters of the page; the projector's larger labels need the whole width."""
    return {"height": 360, "expected_width": 760 if projected else 520}


def default_scoring_label(choices: dict[str, object]) -> str:
    """The Score tab's first model: the one trained on the whole corpus, which knows the paper's phrases."""
    labels = list(choices)
    corpus = [name for name in labels if "corpus" in getattr(getattr(choices[name], "path", None), "name", "")]
    return corpus[0] if corpus else labels[0]


def default_phrases(translator: Translator) -> tuple[str, str]:
    """The Score tab's starting (source, target) pair: 'i am very tired .' in the translator's direction."""
    english = "i am very tired ."
    french = "je suis tres fatigue ." if translator.info.get("preparation") == "tutorial" else "je suis très fatigué ."
    return (english, french) if translator.source_language == "eng" else (french, english)


def translator_from(choice: object) -> Translator:
    """Open the chosen model."""
    if isinstance(choice, Translator):
        return choice
    if hasattr(choice, "getvalue"):  # an uploaded .safetensors file
        return upload.open_upload(st.session_state, choice)
    return open_checkpoint(str(choice.path), choice.path.stat().st_mtime)


SAMPLING_TEMPERATURE = 1.0  # the Score tab's starting temperature
COMPARE_TEXT = "elle est plus grande que moi ."
TABS = ("Translate", "Compare attention kinds", "Train live", "Score phrases (Cho et al.)")
LOG_P = "log p (nats)"  # natural logarithms (log_softmax): nats, not bits
PHRASE_COLUMNS = {
    LOG_P: st.column_config.NumberColumn(LOG_P, width="small"),  # room for whole phrases
    "times": st.column_config.NumberColumn("times", width="small"),
}


def show_notes(notes: list[str]) -> None:
    """What the preparation changed or flagged."""
    for note in notes:
        st.info(escape(note), icon=":material/info:")


def show_end_marker_note(translator: Translator, attention) -> None:
    """Say so when the decoder mostly reads </s> (the encoder's summary) rather than the words."""
    if translator.model.attention_kind == "tutorial":
        return  # its columns are slots, not words
    share = end_marker_share(attention)
    if share > 0.6:
        st.caption(
            f"This model puts {100 * share:.0f} % of its attention on </s>, where the bidirectional "
            "encoder keeps its summary of the whole sentence: it reads the summary more than the words, "
            "so the map shows little alignment. Label smoothing does this; a model trained with "
            "`--label-smoothing 0` aligns words."
        )


def show_prepared(translator: Translator, prepared) -> None:
    """The input as the model saw it, unknown words flagged."""
    shown = [f"{token} ⚠" if unknown else token for token, unknown in zip(prepared.tokens, prepared.unknown)]
    st.markdown("**The input as the model saw it** (⚠ = not in its vocabulary, read as `<unk>`):")
    separator = " · " if translator.tokens == "chars" else "  "
    st.text(separator.join(t if t != " " else "␣" for t in shown) + "  </s>")


@st.fragment
def translate_tab() -> None:
    """One typed sentence: translation, attention, beam, top-5 next words (a fragment: reruns alone)."""
    left, middle, right = st.columns([2, 4, 2])
    direction = left.selectbox("Direction", list(DIRECTIONS), key="translate:direction", bind=BIND)
    source, target = DIRECTIONS[direction]
    choices = models_for(source, target)
    uploaded = upload.own_checkpoint()
    if uploaded is not None:
        choices = {upload.upload_label(uploaded): uploaded, **choices}
    if not choices:
        st.warning(f"No {direction} model is available: train one on the 'Train live' tab, or open your own checkpoint above.")
        return
    upload.select_new_upload(st.session_state, uploaded, f"translate:model:{source}", choices)
    label = middle.selectbox("Model", list(choices), key=f"translate:model:{source}", bind=BIND)
    beam = right.slider(
        "Beam width",
        1,
        10,
        1,
        key="translate:beam",
        bind=BIND,
        help="1 = greedy: the likeliest word at each step. Wider beams keep several partial "
        "translations and return the likeliest complete one.",
    )
    try:
        translator = translator_from(choices[label])
        translator.check_direction(source, target)
    except (CheckpointError, DirectionError) as error:
        message = str(error)
        st.error(escape(message[:1].upper() + message[1:]), icon=":material/error:")
        return
    if choices[label] is uploaded:
        st.caption(
            f"Your file {escape(upload.file_name(uploaded))} is open: {translator.direction}, "
            f"{escape(translator.model.attention_kind)} attention, kept for this session only."
        )
    text = st.text_input(
        f"Type a sentence in {language_name(source)}",
        value=EXAMPLES[source],
        key=f"translate:text:{source}",
        bind=BIND,
        help=f"Anything goes: unknown {'characters' if translator.tokens == 'chars' else 'words'} "
        "become <unk>, long text is cut, markup is shown as text.",
    )
    result, figure = cached.translation(translator, cached.checkpoint_key(choices[label]), text, beam)
    show_notes(result.prepared.notes)
    if result.prepared.empty:
        st.warning("Nothing left to translate after the preparation: type a few words.", icon=":material/edit:")
        return
    st.markdown(f"### {escape(result.text) or '(no words)'}")
    st.caption(
        f"{translator.direction} · log p = {result.logprob:.2f} nats (natural log of the translation's "
        f"probability) · answered in {result.milliseconds:.0f} ms"
    )
    show_prepared(translator, result.prepared)
    show_attention(translator, result, figure)
    show_candidates(result, beam)


def show_attention(translator: Translator, result, figure) -> None:
    """The attention heatmap of one translation, or why there is none."""
    if result.attention is None:
        st.info(
            "This model has no attention: the decoder reads one summary vector of the whole sentence "
            "(Cho et al. 2014), so there is no map of where it looks."
        )
        return
    st.markdown(
        "**Where the decoder looks.** Each row is a word the decoder wrote, top to bottom; each "
        "column a word of the input. Dark cells hold most of the attention weight (each row sums "
        "to 1). Hover a cell for its weight."
    )
    charts.show(figure, name="attention map", key="translate:heatmap")
    show_end_marker_note(translator, result.attention)


def show_candidates(result, beam: int) -> None:
    """Beam candidates with their log-probabilities, and the top 5 next words at each step."""
    if result.candidates:
        st.markdown(
            f"**Beam candidates** (width {beam}), best first; log p is the sum of the words' natural log "
            "probabilities, </s> included, in nats (0 = certain):"
        )
        st.dataframe(pd.DataFrame([{"translation": c[0], LOG_P: round(c[1], 3)} for c in result.candidates]), hide_index=True)
    else:
        st.caption("Beam search: move the beam width above 1 to see several candidate translations with their log-probabilities.")
    st.markdown("**Top 5 next words at each step**, with the probability the decoder gave each:")
    st.dataframe(pd.DataFrame(top_words_rows(result.top, result.output_tokens)), hide_index=True)


@st.fragment
def compare_tab() -> None:
    """(A fragment: reruns alone.) The same sentence through each attention kind, side by side."""
    small = small_models()
    if not small:
        st.warning(f"The small comparison checkpoints are missing from {escape(str(checkpoint_directory()))}.")
        return
    st.markdown(
        f"{len(small)} small French → English models, identical except for their attention "
        "(bidirectional GRU encoder of 2 × 64 units, GRU decoder of 128, 800 steps of 64 pairs on the "
        "tutorial's data). Type one sentence and compare where each one looks."
    )
    text = st.text_input("French sentence", value=COMPARE_TEXT, key="compare:text", bind=BIND)
    kinds = [kind for kind in ATTENTION_KINDS if kind in small]
    projected = projector_on()
    st.markdown("In each map, rows are the output words and columns the input words; dark = looked at.")
    for kind in kinds:
        item = small[kind]
        result, figure = cached.translation(
            translator_from(item), cached.checkpoint_key(item), text, **compare_options(projected)
        )
        left, right = (st.container(), st.container()) if projected else st.columns([1, 3], vertical_alignment="center")
        with left:
            st.markdown(f"#### {ATTENTION_LABELS[kind]}")
            bleu = item.metrics.get("test_bleu")
            if isinstance(bleu, (int, float)):
                st.caption(f"held-out BLEU {bleu:.1f}")
            if result.prepared.empty:
                st.warning("Nothing to translate: type a few French words.")
                continue
            st.markdown(f"**→ {escape(result.text)}**")
            if kind == "tutorial":
                st.caption("It never reads the encoder outputs' content; weight on the empty slots past the sentence is wasted.")
        with right:
            if result.attention is None:
                st.info("No attention: the decoder reads one summary vector of the whole sentence.")
            else:
                charts.show(figure, name=f"attention {kind}", key=f"compare:{kind}")
    if rows := [
        {
            "attention": ATTENTION_LABELS[k],
            "held-out BLEU": small[k].metrics.get("test_bleu"),
            "exact match %": small[k].metrics.get("test_exact"),
        }
        for k in kinds
    ]:
        st.markdown("**Held-out scores** (1,000 pairs never trained on, greedy decoding):")
        st.dataframe(pd.DataFrame(rows), hide_index=True)


@st.fragment
def scoring_tab() -> None:
    """Cho et al. (2014): phrase scores, top phrases and samples (Tables 2-3); a fragment, reruns alone."""
    choices = {**models_for("eng", "fra"), **models_for("fra", "eng")}
    if not choices:
        st.warning(f"No translation checkpoint found in {escape(str(checkpoint_directory()))}.")
        return
    labels = list(choices)
    label = st.selectbox(
        "Model",
        labels,
        index=labels.index(default_scoring_label(choices)),
        key="score:model",
        bind=BIND,
        help="The model trained on the whole eng-fra corpus knows the paper's phrases; the "
        "tutorial models know only 'i am / he is …' sentences.",
    )
    translator = translator_from(choices[label])
    st.markdown(
        f"Cho et al. (2014) used their RNN encoder–decoder to **score phrase pairs** for a phrase-based "
        f"system: log p(target | source). Here with the {escape(translator.direction)} model."
    )
    direction = f"{translator.source_language}-{translator.target_language}"  # each direction keeps its own text
    source_default, target_default = default_phrases(translator)
    left, right = st.columns(2)
    source_text = left.text_input(
        f"{language_name(translator.source_language)} phrase", key=f"score:source:{direction}", bind=BIND, value=source_default
    )
    target_text = right.text_input(
        f"{language_name(translator.target_language)} phrase", key=f"score:target:{direction}", bind=BIND, value=target_default
    )
    _score_and_phrases(translator, cached.checkpoint_key(choices[label]), source_text, target_text)
    paper_tables(translator, sidebar.seed())


def _score_and_phrases(translator: Translator, key: str | None, source_text: str, target_text: str) -> None:
    """The typed pair's score word by word, the source's top phrases and its samples (Tables 2-3 of one phrase)."""
    try:
        total, words, prepared = cached.answer(translator, key, "score", source_text, target_text)
    except ValueError as error:
        st.info(escape(str(error)))
        return
    show_notes(prepared.notes)  # unknown or dropped source words, as on the Translate tab
    st.markdown(f"#### log p(target | source) = {total:.2f} nats")
    st.markdown(
        "Each target word's natural log-probability (in nats; 0 = certain) given the source and the words "
        "before it (they add up to the score):"
    )
    st.dataframe(pd.DataFrame([{"word": w, LOG_P: round(lp, 3)} for w, lp in words]), hide_index=True)
    columns = st.columns(2)
    with columns[0]:
        st.markdown("**Top-scoring target phrases** (beam search, as in Table 2):")
        st.dataframe(
            pd.DataFrame(
                [{"phrase": p, LOG_P: round(lp, 2)} for p, lp in cached.answer(translator, key, "top_phrases", source_text, k=5)]
            ),
            hide_index=True,
            column_config=PHRASE_COLUMNS,
        )
    with columns[1]:
        temperature = st.slider("Sampling temperature", 0.3, 2.0, SAMPLING_TEMPERATURE, 0.1, key="score:temperature", bind=BIND)
        st.markdown("**50 samples, the 5 likeliest with their counts** (as in Table 3):")
        st.dataframe(
            pd.DataFrame(
                [
                    {"phrase": p, "times": n, LOG_P: round(lp, 2)}
                    for p, n, lp in cached.answer(translator, key, "samples", source_text, 50, temperature, seed=sidebar.seed())
                ]
            ),
            hide_index=True,
            column_config=PHRASE_COLUMNS,
        )


def warm_up() -> Iterator[None]:
    """Each tab's first view, computed into the server-wide caches (ui.shell's warm-up runs it, off any page)."""
    source, target = DIRECTIONS[next(iter(DIRECTIONS))]
    if shipped := shipped_for(source, target):  # Translate: the first direction's first model, its example
        item = next(iter(shipped.values()))
        cached.translation(translator_from(item), cached.checkpoint_key(item), EXAMPLES[source], 1)
        yield
    for item in small_models().values():  # Compare: every small model on the default sentence
        cached.translation(translator_from(item), cached.checkpoint_key(item), COMPARE_TEXT, **compare_options(False))
        yield
    if choices := {**shipped_for("eng", "fra"), **shipped_for("fra", "eng")}:  # Score: its default model and pair
        item = choices[default_scoring_label(choices)]
        translator, key = translator_from(item), cached.checkpoint_key(item)
        source_text, target_text = default_phrases(translator)
        cached.answer(translator, key, "score", source_text, target_text)
        cached.answer(translator, key, "top_phrases", source_text, k=5)
        yield
        cached.answer(translator, key, "samples", source_text, 50, SAMPLING_TEMPERATURE, seed=sidebar.DEFAULT_SEED)
        yield
        if (translator.source_language, translator.target_language) == ("eng", "fra"):  # the paper's direction
            paper_rows(translator, sidebar.DEFAULT_SEED)
