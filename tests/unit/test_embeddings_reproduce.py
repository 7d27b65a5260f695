"""Watch it form's script and checkpoint: the script prints the page trainer's losses; the weights are the run's."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rnnviz.embeddings.reproduce import checkpoint_bytes, downloadable_target, script, trained_translator
from rnnviz.embeddings.snapshots import FormingSettings, tutorial_data
from rnnviz.seq2seq.translator import Translator
from tests.unit.scripts import PageJob, printed_losses, run_script

ROOT = Path(__file__).resolve().parents[2]
SMALL = FormingSettings(pairs=300, hidden=16, cell="gru", steps=6, snapshots=3, seed=5)


@pytest.fixture(scope="module")
def page_job() -> PageJob:
    """The page's Train button for SMALL, without the server (the same target, same seed)."""
    job = PageJob()
    result = downloadable_target(SMALL)(job)
    assert result.status == "finished", result.message
    return job


def test_the_script_prints_the_losses_of_the_pages_run(tmp_path, page_job):
    path = tmp_path / "run.py"
    path.write_text(script(SMALL, file_name="run.py"))
    done = run_script(path, timeout=300)
    printed = printed_losses(done.stdout)
    assert len(page_job.losses) == SMALL.steps
    assert printed == pytest.approx(page_job.losses, rel=1e-5)
    steps = [snapshot.step for snapshot in page_job.extras["run"].snapshots]
    assert f"snapshots at steps {steps}" in done.stdout
    translator = Translator.load(tmp_path / "run.safetensors")
    assert len(translator.source_vocab) == len(page_job.extras["run"].words["source"]) + len(translator.source_vocab.specials)


def test_the_checkpoint_holds_the_trained_weights_of_the_run(tmp_path, page_job):
    translator = trained_translator(page_job)
    assert translator is not None
    # the last snapshot is the trained source embedding: the checkpoint's rows must be those, not the first weights
    run = page_job.extras["run"]
    rows = [translator.source_vocab.tokens.index(word) for word in run.words["source"]]
    trained_rows = translator.model.encoder.embedding.weight.detach()[rows].double()
    assert torch.allclose(trained_rows, torch.from_numpy(run.snapshots[-1].source))
    assert not torch.allclose(trained_rows, torch.from_numpy(run.snapshots[0].source))
    path = tmp_path / "forming.safetensors"
    path.write_bytes(checkpoint_bytes(translator))
    loaded = Translator.load(path)
    for name, tensor in translator.model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], tensor), name


def test_the_tutorial_script_reads_the_pairs_file_by_name_and_writes_every_setting():
    text = script(FormingSettings(cell="lstm", steps=900, seed=3), pairs_file="/srv/data/../it's.txt")
    assert 'tutorial_data("it\'s.txt"' in text
    for written in ("cell='lstm'", "steps=900", "seed=3", "snapshots=9"):
        assert written in text


PAIRS_FILE = ROOT.parent / "shared" / "data" / "eng-fra.txt"  # ../shared/data (DESIGN.md)


@pytest.mark.skipif(not PAIRS_FILE.exists(), reason="the tutorial's eng-fra.txt is not in ../shared/data")
def test_the_tutorial_script_reads_the_file_beside_it_and_prints_the_pages_losses(tmp_path) -> None:
    settings = FormingSettings(hidden=16, steps=3, snapshots=2, seed=1)
    (tmp_path / "eng-fra.txt").symlink_to(PAIRS_FILE)
    (tmp_path / "run.py").write_text(script(settings, pairs_file=str(PAIRS_FILE), file_name="run.py"))
    done = run_script(tmp_path / "run.py", timeout=300)
    job = PageJob()
    downloadable_target(settings, tutorial_data(PAIRS_FILE, seed=settings.seed))(job)
    printed = printed_losses(done.stdout)
    assert len(job.losses) == 3 and printed == pytest.approx(job.losses, rel=1e-5)
