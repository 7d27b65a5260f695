"""Checkpoints: round trips, atomic saves, and a clear CheckpointError for every kind of bad file."""

from __future__ import annotations

import functools
import json
import math
import os
import pickle
import random
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from rnnviz.io import checkpoints, registry
from rnnviz.io.checkpoints import (
    FORMAT_VERSION,
    Checkpoint,
    CheckpointDirectoryError,
    CheckpointError,
    list_checkpoints,
    read_metadata,
)
from tests.unit.checkpoint_models import NAME, TARGET, Tiny

VOCAB = {"source": ["<pad>", "<unk>", "a", "b"], "target": ["<pad>", "x", "y"]}
HISTORY = [{"step": 1, "loss": 2.5}, {"step": 2, "loss": 1.25, "grad_norm": 0.5}]
METRICS = {"accuracy": 0.75, "bleu": 12.0}
EXTRA = {"trained on": "adding task, T=20", "command": "python -m rnnviz.training.loop --seed 0"}


# The test models, named for save and load (nothing global is registered or patched).
BUILDERS = {NAME: TARGET, "ckpt-missing-module": "tests.unit.no_such_module:Model"}
save = functools.partial(checkpoints.save, builders=BUILDERS)
load = functools.partial(checkpoints.load, builders=BUILDERS)


def make_model(seed: int = 0, **config: Any) -> Tiny:
    """A Tiny model with seeded, non-default weights and buffers."""
    torch.manual_seed(seed)
    model = Tiny(**config)
    with torch.no_grad():
        model.temperature.fill_(0.75)
        model.seen.fill_(41)
        model.mask[-1] = False
    return model


def save_tiny(path: Path, seed: int = 0, **config: Any) -> Path:
    """Save a Tiny model with full metadata to `path`."""
    return save(path, make_model(seed, **config), vocab=VOCAB, history=HISTORY, metrics=METRICS, step=7, extra=EXTRA)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    """A valid checkpoint file."""
    return save_tiny(tmp_path / "good.safetensors")


def split_file(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The safetensors header (as a dict) and the tensor data that follows it."""
    size = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + size]), data[8 + size :]


def join_file(header: dict[str, Any], body: bytes) -> bytes:
    """A safetensors file from a header dict and tensor data (header padded to 8 bytes)."""
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + body


def data_start(path: Path) -> int:
    """Offset of the first tensor byte."""
    return 8 + int.from_bytes(path.read_bytes()[:8], "little")


def edit_metadata(src: Path, dst: Path, edit: Callable[[dict[str, Any]], Any]) -> Path:
    """Copy `src` to `dst` with its rnnviz metadata changed by `edit` (the weights untouched)."""
    header, body = split_file(src.read_bytes())
    meta = json.loads(header["__metadata__"]["rnnviz"])
    edit(meta)
    header["__metadata__"]["rnnviz"] = json.dumps(meta)
    dst.write_bytes(join_file(header, body))
    return dst


def set_raw_metadata(src: Path, dst: Path, metadata: dict[str, str] | None) -> Path:
    """Copy `src` to `dst` with the whole `__metadata__` replaced (or removed when None)."""
    header, body = split_file(src.read_bytes())
    header.pop("__metadata__")
    if metadata is not None:
        header["__metadata__"] = metadata
    dst.write_bytes(join_file(header, body))
    return dst


def truncate(src: Path, dst: Path, where: Callable[[Path], int]) -> Path:
    """Copy the first `where(src)` bytes of `src` to `dst`."""
    dst.write_bytes(src.read_bytes()[: where(src)])
    return dst


def flip(src: Path, dst: Path, where: Callable[[Path], int]) -> Path:
    """Copy `src` to `dst` with the byte at `where(src)` inverted."""
    data = bytearray(src.read_bytes())
    data[where(src)] ^= 0xFF
    dst.write_bytes(bytes(data))
    return dst


def config_edit(**changes: Any) -> Callable[[dict[str, Any]], None]:
    """A metadata edit that changes config entries."""
    return lambda meta: meta["config"].update(changes)


def delete_key(key: str) -> Callable[[dict[str, Any]], None]:
    """A metadata edit that removes a key."""
    return lambda meta: meta.pop(key)


def set_key(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A metadata edit that sets a key."""
    return lambda meta: meta.__setitem__(key, value)


def write_bytes(data: bytes) -> Callable[[Path, Path], Path]:
    """A bad-file maker that writes fixed bytes."""
    return lambda good, dst: (dst.write_bytes(data), dst)[1]


def torch_saved(legacy: bool) -> Callable[[Path, Path], Path]:
    """A bad-file maker: the same weights through torch.save (zip archive, or legacy raw pickle)."""

    def make(good: Path, dst: Path) -> Path:
        torch.save(make_model().state_dict(), dst, _use_new_zipfile_serialization=not legacy)
        return dst

    return make


def plain_safetensors(metadata: dict[str, str] | None) -> Callable[[Path, Path], Path]:
    """A bad-file maker: a valid safetensors file with other (or no) metadata."""

    def make(good: Path, dst: Path) -> Path:
        save_file(dict(make_model().state_dict()), str(dst), metadata=metadata)
        return dst

    return make


def other_model_file(edit: Callable[[dict[str, Any]], None], **config: Any) -> Callable[[Path, Path], Path]:
    """A bad-file maker: save a differently-configured model, then edit its metadata."""

    def make(good: Path, dst: Path) -> Path:
        source = save_tiny(dst.with_name("source.safetensors"), **config)
        return edit_metadata(source, dst, edit)

    return make


def meta_edit(edit: Callable[[dict[str, Any]], Any]) -> Callable[[Path, Path], Path]:
    """A bad-file maker from a metadata edit."""
    return lambda good, dst: edit_metadata(good, dst, edit)


# id -> (maker(good, dst) -> bad path, whether read_metadata should still accept it, words in the message)
HEADER_OK = True
BAD_FILES: dict[str, tuple[Callable[[Path, Path], Path], bool, str]] = {
    "missing": (lambda good, dst: dst, False, "no such file"),
    "directory": (lambda good, dst: (dst.mkdir(), dst)[1], False, "directory"),
    "empty": (write_bytes(b""), False, "empty"),
    "cut-1-byte": (lambda g, d: truncate(g, d, lambda p: 1), False, "cut off"),
    "cut-in-length-prefix": (lambda g, d: truncate(g, d, lambda p: 5), False, "cut off"),
    "cut-after-length-prefix": (lambda g, d: truncate(g, d, lambda p: 8), False, "cut off"),
    "cut-in-header": (lambda g, d: truncate(g, d, lambda p: data_start(p) // 2), False, "cut off"),
    "cut-at-header-end": (lambda g, d: truncate(g, d, data_start), False, "not a valid safetensors"),
    "cut-in-data": (
        lambda g, d: truncate(g, d, lambda p: (data_start(p) + p.stat().st_size) // 2),
        False,
        "cut off",
    ),
    "cut-last-byte": (lambda g, d: truncate(g, d, lambda p: p.stat().st_size - 1), False, "cut off"),
    "random-bytes": (write_bytes(random.Random(0).randbytes(4096)), False, "not a valid safetensors"),
    "random-after-small-length": (
        write_bytes((64).to_bytes(8, "little") + random.Random(1).randbytes(200)),
        False,
        "not a valid safetensors",
    ),
    "header-not-object": (write_bytes((8).to_bytes(8, "little") + b"[1, 2]  "), False, "not a valid safetensors"),
    "text-file": (write_bytes(b"step,loss\n1,2.5\n2,1.25\n"), False, "not a valid safetensors"),
    "torch-save-zip": (torch_saved(legacy=False), False, "pickle"),
    "torch-save-legacy-pickle": (torch_saved(legacy=True), False, "pickle"),
    "no-metadata": (plain_safetensors(None), False, "without rnnviz metadata"),
    "foreign-metadata": (plain_safetensors({"format": "pt"}), False, "without rnnviz metadata"),
    "metadata-not-json": (lambda g, d: set_raw_metadata(g, d, {"rnnviz": "{not json"}), False, "not valid JSON"),
    "metadata-not-object": (lambda g, d: set_raw_metadata(g, d, {"rnnviz": "[1, 2]"}), False, "not a JSON object"),
    "no-format-version": (meta_edit(delete_key("format_version")), False, "format_version"),
    "format-version-string": (meta_edit(set_key("format_version", "1")), False, "format_version"),
    "format-newer": (meta_edit(set_key("format_version", FORMAT_VERSION + 1)), False, "newer rnnviz"),
    "format-older": (meta_edit(set_key("format_version", FORMAT_VERSION - 1)), False, "older rnnviz"),
    "no-config": (meta_edit(delete_key("config")), False, "lacks config"),
    "no-step": (meta_edit(delete_key("step")), False, "lacks step"),
    "no-checksum": (meta_edit(delete_key("weights_sha256")), False, "lacks weights_sha256"),
    "step-is-string": (meta_edit(set_key("step", "7")), False, "'step' has the wrong type"),
    "config-is-list": (meta_edit(set_key("config", [1])), False, "'config' has the wrong type"),
    "config-without-model": (meta_edit(lambda m: m["config"].pop("model")), False, "does not name a model"),
    "checksum-tampered": (meta_edit(set_key("weights_sha256", "0" * 64)), HEADER_OK, "checksum"),
    "flip-first-data-byte": (lambda g, d: flip(g, d, data_start), HEADER_OK, "checksum"),
    "flip-middle-data-byte": (
        lambda g, d: flip(g, d, lambda p: (data_start(p) + p.stat().st_size) // 2),
        HEADER_OK,
        "checksum",
    ),
    "flip-last-byte": (lambda g, d: flip(g, d, lambda p: p.stat().st_size - 1), HEADER_OK, "checksum"),
    "unknown-model": (meta_edit(config_edit(model="charlm-from-the-future")), HEADER_OK, "unknown model"),
    "builder-module-missing": (meta_edit(config_edit(model="ckpt-missing-module")), HEADER_OK, "ModuleNotFoundError"),
    "bad-size": (meta_edit(config_edit(hidden=-1)), HEADER_OK, "must be positive"),
    "unknown-config-key": (meta_edit(config_edit(depth=3)), HEADER_OK, "does not build"),
    "wrong-shapes": (meta_edit(config_edit(hidden=6)), HEADER_OK, "wrong shape"),
    "unexpected-weights": (meta_edit(config_edit(bias=False)), HEADER_OK, "unexpected: out.bias"),
    "missing-weights": (other_model_file(config_edit(bias=True), bias=False), HEADER_OK, "missing: out.bias"),
}


@pytest.fixture(params=sorted(BAD_FILES))
def bad_file(request: pytest.FixtureRequest, good: Path) -> tuple[Path, bool, str]:
    """Each kind of bad file, with whether its header is fine and what the message must say."""
    make, header_ok, words = BAD_FILES[request.param]
    path = make(good, good.with_name(f"bad-{request.param}.safetensors"))
    return path, header_ok, words


# ---------------------------------------------------------------- round trip


def test_round_trip_restores_weights_outputs_and_metadata(good: Path) -> None:
    original = make_model()
    loaded = load(good)
    assert isinstance(loaded, Checkpoint)
    assert isinstance(loaded.model, Tiny) and not loaded.model.training
    expected, actual = original.state_dict(), loaded.model.state_dict()
    assert expected.keys() == actual.keys()
    for name in expected:
        assert actual[name].dtype == expected[name].dtype, name
        assert torch.equal(actual[name], expected[name]), name
    tokens = torch.tensor([[0, 1, 2, 3, 4], [6, 5, 4, 3, 2]])
    original.eval()
    with torch.no_grad():
        assert torch.equal(loaded.model(tokens), original(tokens))
    assert loaded.config == original.config
    assert (loaded.vocab, loaded.history, loaded.metrics, loaded.extra) == (VOCAB, HISTORY, METRICS, EXTRA)
    assert loaded.step == 7 and loaded.path == good
    assert loaded.torch_version == torch.__version__ and loaded.created.endswith("+00:00")


def test_tied_weights_save_and_stay_tied(tmp_path: Path) -> None:
    model = make_model(tied=True)
    assert model.out.weight is model.embed.weight
    loaded = load(save(tmp_path / "tied.safetensors", model)).model
    assert loaded.out.weight is loaded.embed.weight
    assert torch.equal(loaded.embed.weight, model.embed.weight)


def test_defaults_and_non_finite_history_round_trip(tmp_path: Path) -> None:
    history = [{"loss": 1.0}, {"loss": math.inf}, {"loss": math.nan}]  # a diverged run is worth keeping
    loaded = load(save(tmp_path / "diverged.safetensors", make_model(), history=history))
    assert loaded.vocab is None and loaded.metrics == {} and loaded.extra == {} and loaded.step == 0
    assert loaded.history[1]["loss"] == math.inf and math.isnan(loaded.history[2]["loss"])


def test_load_accepts_strings_and_map_location(good: Path) -> None:
    loaded = load(str(good), expected_model=NAME, map_location=torch.device("cpu"))
    assert all(p.device.type == "cpu" for p in loaded.model.parameters())


def test_checkpoint_is_frozen(good: Path) -> None:
    with pytest.raises(AttributeError):
        load(good).step = 3  # type: ignore[misc]


# ---------------------------------------------------------------- saving


def test_save_creates_parent_directories_and_returns_path(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "model.safetensors"
    assert save(path, make_model()) == path
    assert path.is_file() and [p.name for p in path.parent.iterdir()] == ["model.safetensors"]


def test_save_honours_umask_not_private_temp_mode(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    path = save(tmp_path / "model.safetensors", make_model())
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


UNSERIALIZABLE: dict[str, dict[str, Any]] = {
    "tensor-metric": {"metrics": {"loss": torch.tensor(1.0)}},
    "numpy-float32": {"metrics": {"loss": np.float32(1.0)}},
    "set-in-extra": {"extra": {"tags": {"a", "b"}}},
    "object-in-history": {"history": [{"callback": object()}]},
    "int-keys-in-vocab": {"vocab": {0: "<pad>", 1: "a"}},
    "history-not-list": {"history": {"loss": 1.0}},
    "metrics-not-dict": {"metrics": [1.0]},
    "negative-step": {"step": -1},
    "float-step": {"step": 1.5},
    "bool-step": {"step": True},
}


@pytest.mark.parametrize("kwargs", UNSERIALIZABLE.values(), ids=UNSERIALIZABLE.keys())
def test_save_refuses_bad_metadata_and_leaves_no_file(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    path = tmp_path / "out" / "model.safetensors"
    with pytest.raises(ValueError):
        save(path, make_model(), **kwargs)
    assert not path.exists() and not path.parent.exists()


def test_save_refuses_circular_metadata(tmp_path: Path) -> None:
    extra: dict[str, Any] = {}
    extra["self"] = extra
    with pytest.raises(ValueError, match="circular"):
        save(tmp_path / "model.safetensors", make_model(), extra=extra)


def test_save_error_names_the_bad_part(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"metrics.*'loss'.*Tensor"):
        save(tmp_path / "model.safetensors", make_model(), metrics={"loss": torch.tensor(1.0)})


def test_failed_save_keeps_the_previous_file(good: Path) -> None:
    before = good.read_bytes()
    with pytest.raises(ValueError):
        save(good, make_model(seed=1), metrics={"bad": object()})
    assert good.read_bytes() == before
    assert sorted(p.name for p in good.parent.iterdir()) == ["good.safetensors"]


def test_interrupted_write_removes_temp_file(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = good.read_bytes()

    def crash(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(checkpoints.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save(good, make_model(seed=1))
    assert good.read_bytes() == before
    assert sorted(p.name for p in good.parent.iterdir()) == ["good.safetensors"]


def test_save_refuses_model_without_config(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="config"):
        save(tmp_path / "linear.safetensors", torch.nn.Linear(2, 2))


def test_save_refuses_unregistered_model(tmp_path: Path) -> None:
    model = make_model()
    model._config["model"] = "not-registered"
    with pytest.raises(ValueError, match="registry"):
        save(tmp_path / "model.safetensors", model)


# ---------------------------------------------------------------- bad files


def test_load_raises_checkpoint_error_naming_the_file(bad_file: tuple[Path, bool, str]) -> None:
    path, _, words = bad_file
    with pytest.raises(CheckpointError) as info:
        load(path)
    message = str(info.value)
    assert path.name in message and words in message
    assert info.value.path == path


def test_read_metadata_checks_header_and_layout_only(bad_file: tuple[Path, bool, str]) -> None:
    path, header_ok, _ = bad_file
    if header_ok:
        assert read_metadata(path)["format_version"] == FORMAT_VERSION
    else:
        with pytest.raises(CheckpointError, match=path.name):
            read_metadata(path)


def test_newer_format_message(good: Path) -> None:
    path = edit_metadata(good, good.with_name("future.safetensors"), set_key("format_version", 2))
    with pytest.raises(CheckpointError, match=r"written by a newer rnnviz \(format 2\); this rnnviz reads format 1"):
        load(path)


def test_expected_model_mismatch(good: Path) -> None:
    path = edit_metadata(good, good.with_name("translate.safetensors"), config_edit(model="seq2seq"))
    with pytest.raises(CheckpointError, match="this is a 'seq2seq' checkpoint, this page needs 'charlm'") as info:
        load(path, expected_model="charlm")
    assert "translate.safetensors" in str(info.value)


def test_load_never_unpickles(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pickled = [torch_saved(legacy)(good, good.with_name(f"pickled-{legacy}.pt")) for legacy in (False, True)]

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("checkpoints must never unpickle")

    for target, name in [(torch, "load"), (torch.serialization, "load"), (pickle, "load"), (pickle, "loads")]:
        monkeypatch.setattr(target, name, forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    assert load(good).step == 7
    assert read_metadata(good)["step"] == 7
    for path in pickled:
        with pytest.raises(CheckpointError, match="pickle"):
            load(path)


def test_malicious_pickle_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.safetensors"
    torch.save({"weight": Payload()}, path)
    for reader in (load, read_metadata):
        with pytest.raises(CheckpointError, match=r"evil\.safetensors"):
            reader(path)
    assert not marker.exists()


def test_checkpoint_error_survives_pickling(tmp_path: Path) -> None:
    error = CheckpointError(tmp_path / "x.safetensors", "is empty", "save it again")
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.path == error.path and isinstance(copy, ValueError)


# ---------------------------------------------------------------- metadata and listing


def test_read_metadata_matches_load(good: Path) -> None:
    meta = read_metadata(good)
    assert set(meta) == {
        "format_version", "config", "vocab", "history", "metrics", "step", "extra", "created", "torch_version",
        "weights_sha256",
    }
    loaded = load(good)
    assert (meta["config"], meta["vocab"], meta["history"], meta["step"]) == (
        loaded.config, loaded.vocab, loaded.history, loaded.step,
    )


def test_list_checkpoints_splits_usable_and_broken(tmp_path: Path) -> None:
    save_tiny(tmp_path / "b.safetensors")
    save_tiny(tmp_path / "a.safetensors", seed=1)
    edit_metadata(tmp_path / "a.safetensors", tmp_path / "c.safetensors", config_edit(model="seq2seq"))
    (tmp_path / "empty.safetensors").write_bytes(b"")
    truncate(tmp_path / "b.safetensors", tmp_path / "cut.safetensors", lambda p: p.stat().st_size - 10)
    (tmp_path / "notes.txt").write_text("not a checkpoint, not listed")
    (tmp_path / "sub.safetensors").mkdir()

    usable, broken = list_checkpoints(tmp_path)
    assert [p.name for p, _ in usable] == ["a.safetensors", "b.safetensors", "c.safetensors"]
    assert all(meta["step"] == 7 for _, meta in usable)
    assert [p.name for p, _ in broken] == ["cut.safetensors", "empty.safetensors", "sub.safetensors"]
    assert all(path.name in message for path, message in broken)

    only_tiny = list_checkpoints(tmp_path, model=NAME)
    assert [p.name for p, _ in only_tiny.usable] == ["a.safetensors", "b.safetensors"]
    assert len(only_tiny.broken) == 3


def test_list_checkpoints_of_missing_directory_names_it_and_how_to_choose_another(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-yet"
    with pytest.raises(CheckpointDirectoryError) as raised:
        list_checkpoints(missing)
    message = str(raised.value)
    assert str(missing) in message and "does not exist" in message
    assert checkpoints.DIRECTORY_ENV in message and "--checkpoints DIR" in message


def test_list_checkpoints_refuses_a_file(good: Path) -> None:
    with pytest.raises(CheckpointDirectoryError, match=r"good\.safetensors.*not a folder"):
        list_checkpoints(good)


def test_directory_error_survives_pickling(tmp_path: Path) -> None:
    error = CheckpointDirectoryError(tmp_path, "does not exist")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is CheckpointDirectoryError and str(copy) == str(error)
    assert isinstance(copy, CheckpointError)


def test_truncations_and_header_flips_give_checkpoint_error_or_load(good: Path) -> None:
    """Sweep over this small file (all short cuts, then a stride): no other exception escapes load."""
    data, start = good.read_bytes(), data_start(good)
    bad = good.with_name("fuzz.safetensors")
    cuts = [*range(16), *range(16, len(data), 13)]
    variants = [data[:cut] for cut in cuts]
    variants += [data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :] for i in range(0, start, 7)]
    refused = 0
    for variant in variants:
        bad.write_bytes(variant)
        try:
            load(bad)  # a flip inside, say, the "created" text leaves a valid file
        except CheckpointError as error:
            assert bad.name in str(error)
            refused += 1
    assert refused >= len(cuts)


def test_the_registry_is_fixed_and_own_models_are_passed_explicitly(good: Path) -> None:
    """The built-in table cannot be changed or shadowed; a file naming another model needs its builder."""
    with pytest.raises(TypeError):
        registry.BUILDERS["charlm"] = "os:system"  # type: ignore[index]
    with pytest.raises(ValueError, match="already name rnnviz models"):
        registry.names({"charlm": TARGET})
    assert NAME not in registry.names() and NAME in registry.names(BUILDERS)
    with pytest.raises(CheckpointError, match="does not build a model"):
        checkpoints.load(good)  # no builders: the file's model name is unknown
    assert isinstance(checkpoints.load(good, builders=BUILDERS).model, Tiny)


@pytest.mark.parametrize("second_byte", [0x64, 0x02, 0x05])
def test_safetensors_header_starting_with_0x80_is_not_called_a_pickle(tmp_path: Path, second_byte: int) -> None:
    """A header length whose first byte is 0x80 (as a shipped translator's is) is a cut-off file, not a pickle."""
    from rnnviz.io.format import looks_like_pickle, unreadable_error

    header = b'{"__metadata__":{}}' + b" " * (0x80 + 256 * second_byte - 19)
    whole = len(header).to_bytes(8, "little") + header
    assert whole[0] == 0x80 and whole[1] == second_byte
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(whole[: len(whole) // 2])
    assert not looks_like_pickle(cut.read_bytes()[:9])
    message = str(unreadable_error(cut, ValueError("invalid header length")))
    assert "pickle" not in message and "cut off" in message and "cut.safetensors" in message


def test_real_pickles_are_still_recognised() -> None:
    """Every pickle protocol from 2 to 5 and torch.save's zip archive are named as pickles."""
    from rnnviz.io.format import looks_like_pickle

    for protocol in range(2, 6):
        assert looks_like_pickle(pickle.dumps({"weights": [1.0, 2.0]}, protocol=protocol)[:9])
    assert looks_like_pickle(b"PK\x03\x04" + b"\x00" * 5)
    assert not looks_like_pickle(b"step,loss\n")


CRAFTED_LOAD = """
import resource, sys
from rnnviz.io import checkpoints
from rnnviz.io.format import CheckpointError
try:
    checkpoints.load(sys.argv[1])
except CheckpointError as exc:
    print("REFUSED", exc)
try:  # this program's own peak: ru_maxrss keeps the parent's peak across fork/vfork + exec on Linux
    status = open("/proc/self/status").read()
    peak_kb = int(status.split("VmHWM:")[1].split()[0])
except (OSError, IndexError, ValueError):
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("PEAK_MB", peak_kb // 1024)
"""


def test_crafted_translator_config_is_refused_before_the_model_is_built(tmp_path: Path) -> None:
    """A shipped translator whose config claims hidden_size=8192 is refused by shape, without gigabytes of memory."""
    import subprocess
    import sys

    shipped = Path(__file__).resolve().parents[2] / "checkpoints" / "translate-fra-eng-dot-small.safetensors"
    crafted = edit_metadata(shipped, tmp_path / "crafted.safetensors", config_edit(hidden_size=8192, encoder_hidden_size=4096))
    result = subprocess.run([sys.executable, "-c", CRAFTED_LOAD, str(crafted)], capture_output=True, text=True, timeout=300)
    assert "REFUSED" in result.stdout and "wrong shape" in result.stdout and "crafted.safetensors" in result.stdout, result
    peak = int(result.stdout.split("PEAK_MB")[1])
    assert peak < 1200, f"loading a crafted checkpoint peaked at {peak} MB"  # torch itself is ~400 MB; the model was 2.3 GB


def test_a_model_over_the_size_cap_is_refused_by_its_shapes_alone(tmp_path: Path) -> None:
    """check_fits refuses a config asking for more than MAX_NUMBERS weights even when names and shapes agree."""
    from rnnviz.io.format import MAX_NUMBERS, CheckpointError, check_fits

    side = int(MAX_NUMBERS**0.5) + 1
    huge = {"weight": torch.empty(side, side, device="meta")}
    with pytest.raises(CheckpointError, match="over the limit"):
        check_fits(tmp_path / "huge.safetensors", {"weight": huge["weight"].shape}, huge)
    check_fits(tmp_path / "small.safetensors", {"weight": torch.Size([2, 3])}, {"weight": torch.zeros(2, 3)})
